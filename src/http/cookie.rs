//! The inbox's session cookie: a member token the browser holds where page scripts cannot read
//! it (`HttpOnly`), sent only to this site (`SameSite=Strict`), and the same-origin rule that
//! refuses changes it would authorise from anywhere else.

use axum::http::{HeaderMap, HeaderValue, header};
use url::Url;

pub const SESSION_COOKIE: &str = "baton_session";

/// Marks a request authenticated by the session cookie rather than an `Authorization` header.
#[derive(Debug, Clone, Copy)]
pub struct ViaCookie;

/// The session cookie's value, if the request carries one.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// `Set-Cookie` for a session lasting `max_age_secs` (0 ends it).
pub fn session_cookie(token: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Strict{secure}"
    );
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static("baton_session=; Max-Age=0"))
}

/// Whether the browser reached this server over HTTPS: the public URL says so, or the proxy in
/// front of it does (`X-Forwarded-Proto`). A cookie marked `Secure` over plain HTTP would be
/// dropped, so this errs towards plain only where HTTPS is not known.
pub fn over_https(headers: &HeaderMap, public_url: Option<&str>) -> bool {
    public_url.is_some_and(|url| url.starts_with("https://"))
        || headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https")
}

/// Whether the request's `Origin` (or, absent, its `Referer`) is this server's own:
/// `public_url`'s origin when it is set, else the origin the request's `Host` names.
pub fn same_origin(headers: &HeaderMap, public_url: Option<&str>) -> bool {
    let text = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    let Some(from) = text(header::ORIGIN).or_else(|| text(header::REFERER)) else { return false };
    let Ok(from) = Url::parse(from) else { return false };
    match public_url {
        Some(own) => Url::parse(own).is_ok_and(|own| own.origin() == from.origin()),
        // Without a public URL, whichever scheme the browser used to reach `Host`.
        None => text(header::HOST).is_some_and(|host| {
            ["http", "https"].iter().any(|scheme| {
                Url::parse(&format!("{scheme}://{host}")).is_ok_and(|own| own.origin() == from.origin())
            })
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let h = headers(&[("cookie", "theme=dark; baton_session=bt_mt_abc"), ("cookie", "x=1")]);
        assert_eq!(session_token(&h).as_deref(), Some("bt_mt_abc"));
        assert_eq!(session_token(&headers(&[("cookie", "baton_sessionx=1")])), None);
        assert_eq!(session_token(&headers(&[("cookie", "baton_session=")])), None);
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_over_https() {
        let plain = session_cookie("bt_mt_x", 60, false);
        assert_eq!(plain, "baton_session=bt_mt_x; Path=/; Max-Age=60; HttpOnly; SameSite=Strict");
        assert!(session_cookie("bt_mt_x", 60, true).to_str().unwrap().ends_with("; Secure"));
    }

    #[test]
    fn only_this_servers_own_origin_is_same_origin() {
        let host = |origin: &str| headers(&[("host", "inbox.example.com:8080"), ("origin", origin)]);
        assert!(same_origin(&host("http://inbox.example.com:8080"), None));
        assert!(!same_origin(&host("http://evil.example:8080"), None));
        assert!(!same_origin(&host("http://inbox.example.com:9090"), None));
        assert!(!same_origin(&headers(&[("host", "inbox.example.com")]), None), "no Origin, no Referer");
        let referer = headers(&[("host", "a.test"), ("referer", "http://a.test/inbox?x=1")]);
        assert!(same_origin(&referer, None));
        let proxied = headers(&[("host", "10.0.0.5:8080"), ("origin", "https://support.example.com")]);
        assert!(same_origin(&proxied, Some("https://support.example.com")));
        assert!(!same_origin(&proxied, Some("https://other.example.com")));
        assert!(!same_origin(&host("null"), None));
    }
}
