//! Cross-origin access for what a website's own scripts call — the widget API, uploads and
//! files — and nothing else: the rest of the API answers no cross-origin browser request.
//! Client keys are public, so any page may try; a client key whose channel lists
//! `allowed_origins` works only from those pages ([`check_origin`]). No credentials: a
//! browser never sends the inbox's cookie along.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::authenticate::Caller;
use super::cookie::same_origin;
use crate::auth::KeyKind;
use crate::error::{ApiError, ErrorCode};
use crate::http::AppState;

fn open_to_sites(path: &str) -> bool {
    path.starts_with("/v1/widget/") || path == "/v1/uploads"
}

/// A file is open to other sites only through its signed URL, and only once the signature
/// held: a page may show a file it was given a link to, never probe for others with a key.
fn signed_file(request: &Request) -> bool {
    request.uri().path().starts_with("/v1/files/")
        && request.method() == Method::GET
        && request.uri().query().is_some_and(|q| q.split('&').any(|pair| pair.starts_with("signature=")))
}

pub async fn middleware(request: Request, next: Next) -> Response {
    let origin = request.headers().get(header::ORIGIN).cloned();
    let path = request.uri().path();
    let file = signed_file(&request);
    let Some(origin) = origin.filter(|_| open_to_sites(path) || file) else {
        return next.run(request).await;
    };
    let preflight = request.method() == Method::OPTIONS
        && request.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut response =
        if preflight { StatusCode::NO_CONTENT.into_response() } else { next.run(request).await };
    if file && !response.status().is_success() {
        return response;
    }
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if preflight {
        headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST"));
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(
                "authorization, content-type, idempotency-key, last-event-id, x-api-key",
            ),
        );
        headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    } else {
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("x-request-id, retry-after, idempotent-replayed, etag"),
        );
    }
    response
}

/// Refuses a client key, or a contact token its session issued, used from a page outside the
/// channel's `allowed_origins` (403 `origin_not_allowed`). Requests without an `Origin`, or
/// from Baton's own pages (the widget's frame), pass.
pub async fn check_origin(state: &AppState, caller: &Caller, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else { return Ok(()) };
    if same_origin(headers, state.settings.public_url.as_deref()) {
        return Ok(());
    }
    let allowed = match caller {
        Caller::Key { workspace, key_id, kind: KeyKind::Client } => {
            state.store.client_key_origins(workspace, key_id).await?
        }
        Caller::Contact { workspace, channel_id: Some(channel), .. } => {
            state.store.channel_origins(workspace, channel).await?
        }
        _ => return Ok(()),
    };
    match allowed {
        Some(allowed) if !allowed.iter().any(|a| a == origin) => Err(ApiError::new(
            ErrorCode::OriginNotAllowed,
            format!("This key's channel does not list {origin} in its allowed_origins"),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::open_to_sites;

    #[test]
    fn only_the_widget_and_uploads_are_open_to_other_sites() {
        assert!(open_to_sites("/v1/widget/sessions"));
        assert!(open_to_sites("/v1/uploads"));
        assert!(!open_to_sites("/v1/files/file_1"), "only with a valid signature");
        assert!(!open_to_sites("/v1/conversations"));
        assert!(!open_to_sites("/v1/uploads/x"));
        assert!(!open_to_sites("/v1/widgets"));
    }
}
