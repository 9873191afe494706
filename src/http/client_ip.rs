//! The address a request came from: the connection's peer, or, behind a reverse proxy the
//! server was told to trust (`--trust-forwarded-for`), the last address the proxy appended to
//! `X-Forwarded-For`. Without that flag the header is ignored: anyone can write it.

use std::net::{IpAddr, SocketAddr};

use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap};

use crate::http::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

/// Whether a request with `X-Forwarded-For` was seen without `--trust-forwarded-for` (said
/// once in the log: behind a proxy, every client would share the proxy's limits).
static FORWARDED_IGNORED: AtomicBool = AtomicBool::new(false);

impl ClientIp {
    pub fn of(parts: &Parts, trust_forwarded_for: bool) -> Self {
        Self::from_request(&parts.headers, &parts.extensions, trust_forwarded_for)
    }

    pub fn from_request(headers: &HeaderMap, extensions: &Extensions, trust_forwarded_for: bool) -> Self {
        let header = headers.get_all("x-forwarded-for").iter().next_back();
        if header.is_some() && !trust_forwarded_for && !FORWARDED_IGNORED.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "a request carried X-Forwarded-For, which is ignored: behind a reverse proxy, start with \
                 --trust-forwarded-for, or every client shares the proxy's address and its limits"
            );
        }
        let forwarded = header
            .filter(|_| trust_forwarded_for)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|last| last.trim().parse::<IpAddr>().ok());
        let peer = extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip());
        ClientIp(forwarded.or(peer).map(|ip| ip.to_canonical()))
    }

    /// As a limit's bucket: the address, or for IPv6 its /64 (one subscriber's network, where
    /// every address is theirs to use), or `unknown` (a request from inside the process).
    pub fn key(&self) -> String {
        match self.0 {
            Some(IpAddr::V6(ip)) => {
                let s = ip.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
            Some(ip) => ip.to_string(),
            None => "unknown".to_owned(),
        }
    }

    pub fn text(&self) -> Option<String> {
        self.0.map(|ip| ip.to_string())
    }
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientIp::of(parts, state.settings.trust_forwarded_for))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(forwarded: Option<&str>) -> Parts {
        let mut request = axum::http::Request::builder().uri("/");
        if let Some(value) = forwarded {
            request = request.header("x-forwarded-for", value);
        }
        let (mut parts, ()) = request.body(()).unwrap().into_parts();
        parts.extensions.insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 1], 443))));
        parts
    }

    #[test]
    fn the_forwarded_address_counts_only_behind_a_trusted_proxy() {
        let spoofed = parts(Some("203.0.113.9, 198.51.100.7"));
        assert_eq!(ClientIp::of(&spoofed, false).key(), "10.0.0.1", "the header is anyone's to write");
        assert_eq!(ClientIp::of(&spoofed, true).key(), "198.51.100.7", "the proxy's own entry is last");
        assert_eq!(ClientIp::of(&parts(Some("junk")), true).key(), "10.0.0.1");
        assert_eq!(ClientIp::of(&parts(None), true).key(), "10.0.0.1");
        let v6 = parts(Some("2001:db8:1:2:aaaa::1"));
        assert_eq!(ClientIp::of(&v6, true).key(), "2001:db8:1:2::/64", "an IPv6 network is one client");
        assert_eq!(ClientIp::of(&parts(Some("::ffff:192.0.2.7")), true).key(), "192.0.2.7");
    }
}
