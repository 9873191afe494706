//! Middleware every API request passes: authentication, the request timeout, and turning
//! unrouted requests and panics into problem+json.

use std::any::Any;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::authenticate::authenticate_token;
use super::cookie;
use crate::auth::MEMBER_PREFIX;
use crate::error::{ApiError, ErrorCode};
use crate::http::AppState;

/// The key a request names in a header: `Authorization: Bearer KEY`, the bare key in
/// `Authorization` (as seed 001's clients send it) or in `X-Api-Key`. `Some(None)`: a header
/// is there but holds no key.
fn header_key(headers: &axum::http::HeaderMap) -> Option<Option<String>> {
    let bare = |value: &str| {
        let value = value.trim();
        (!value.is_empty() && !value.contains(' ')).then(|| value.to_owned())
    };
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        return Some(value.to_str().ok().and_then(|v| match v.trim().split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => bare(token),
            Some(_) => None,
            None => bare(v),
        }));
    }
    headers.get("x-api-key").map(|value| value.to_str().ok().and_then(bare))
}

/// Resolves the key in the headers ([`header_key`]), or else the inbox's session cookie, into
/// a [`Caller`](super::authenticate::Caller) in the request extensions. A request with neither
/// passes through (the route's extractor decides whether that is a 401); a malformed or unknown
/// key is a 401 here. The cookie carries member tokens only, and a change it would authorise
/// must come from this server's own pages. A cookie that is no longer (or never was) a session
/// is cleared and the request goes on as if it had none, so it never stands in the way of
/// signing in again.
pub async fn authenticate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let token = match header_key(request.headers()) {
        Some(Some(token)) => token,
        Some(None) => {
            return ApiError::new(ErrorCode::InvalidApiKey, "Use `Authorization: Bearer <key>`")
                .into_response();
        }
        None => {
            // The API reference's "Try it out" acts with a key only, never the inbox's session.
            let from_docs =
                request.headers().get(header::REFERER).and_then(|r| r.to_str().ok()).is_some_and(|referer| {
                    url::Url::parse(referer).is_ok_and(|u| super::headers::is_docs(u.path()))
                });
            let Some(token) = cookie::session_token(request.headers()).filter(|_| !from_docs) else {
                return next.run(request).await;
            };
            if !token.starts_with(MEMBER_PREFIX) {
                return without_cookie(&state, request, next).await;
            }
            request.extensions_mut().insert(cookie::ViaCookie);
            token
        }
    };
    let now = state.clock.now_ms();
    match authenticate_token(&state.store, state.settings.admin_key_hash.as_deref(), &token, now).await {
        Ok(caller) => {
            // Checked once the cookie is known to be a session: a stale one is cleared below
            // instead, whatever page the request came from.
            let public_url = state.settings.public_url.as_deref();
            let via_cookie = request.extensions().get::<cookie::ViaCookie>().is_some();
            if via_cookie
                && !request.method().is_safe()
                && !cookie::same_origin(request.headers(), public_url)
            {
                return ApiError::new(
                    ErrorCode::CrossSiteRequest,
                    "A change signed in by the session cookie must come from this server's own pages",
                )
                .into_response();
            }
            if let Err(refused) = super::cors::check_origin(&state, &caller, request.headers()).await {
                return refused.into_response();
            }
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(error)
            if request.extensions().get::<cookie::ViaCookie>().is_some()
                && error.code == ErrorCode::InvalidApiKey =>
        {
            request.extensions_mut().remove::<cookie::ViaCookie>();
            without_cookie(&state, request, next).await
        }
        Err(error) => error.into_response(),
    }
}

/// The request as if it carried no session cookie, and an answer that clears the stale one.
async fn without_cookie(state: &AppState, request: Request, next: Next) -> Response {
    let secure = cookie::over_https(request.headers(), state.settings.public_url.as_deref());
    let mut response = next.run(request).await;
    // A sign-in answered with a new session cookie: that one replaces the stale one.
    if !response.headers().contains_key(header::SET_COOKIE) {
        response.headers_mut().insert(header::SET_COOKIE, cookie::session_cookie("", 0, secure));
    }
    response
}

/// Bounds the time a request may take; the client gets a 503 problem, never a hang.
pub async fn timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            ApiError::new(ErrorCode::RequestTimeout, "The request took too long; retry it").into_response()
        }
    }
}

pub async fn route_not_found(request: Request) -> ApiError {
    ApiError::new(ErrorCode::RouteNotFound, format!("No route {} {}", request.method(), request.uri().path()))
}

pub async fn method_not_allowed(request: Request) -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("{} is not allowed on {}", request.method(), request.uri().path()),
    )
}

pub fn panic_to_problem(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "unknown panic".to_owned());
    ApiError::internal(format!("handler panicked: {message}")).into_response()
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::middleware::from_fn_with_state;
    use axum::routing::get;
    use tower::ServiceExt;
    use tower_http::catch_panic::CatchPanicLayer;

    use super::*;

    async fn problem_code(router: Router, path: &str) -> (StatusCode, serde_json::Value) {
        let response = router.oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn a_request_that_never_finishes_gets_a_503() {
        let router = Router::new()
            .route("/hang", get(std::future::pending::<&'static str>))
            .layer(from_fn_with_state(Duration::from_millis(10), timeout));
        let (status, body) = problem_code(router, "/hang").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["code"], "request_timeout");
    }

    #[tokio::test]
    async fn a_panic_is_a_500_that_shows_nothing_internal() {
        async fn boom() -> &'static str {
            panic!("secret internal detail")
        }
        let router = Router::new().route("/boom", get(boom)).layer(CatchPanicLayer::custom(panic_to_problem));
        let (status, body) = problem_code(router, "/boom").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["code"], "internal_error");
        assert!(!body.to_string().contains("secret"));
    }
}
