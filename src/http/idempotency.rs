//! `Idempotency-Key` for POST: a retry with the same key and body replays the first
//! response; the same key with another body is a 422; a retry while the first runs is a 409.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::authenticate::Caller;
use super::client_ip::ClientIp;
use crate::auth::KeyKind;
use crate::error::{ApiError, ErrorCode};
use crate::http::AppState;
use crate::store::{IdempotencyBegin, StoredResponse};

const HEADER: &str = "idempotency-key";
const REPLAYED: &str = "idempotent-replayed";
const REPLAYED_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::ETAG, header::LOCATION];

pub async fn middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match run(state, request, next).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn run(state: AppState, request: Request, next: Next) -> Result<Response, ApiError> {
    let key = request.headers().get(HEADER).map(|v| v.to_str().map(str::to_owned));
    let (Method::POST, Some(key), Some(caller)) =
        (request.method().clone(), key, request.extensions().get::<Caller>().cloned())
    else {
        return Ok(next.run(request).await);
    };
    let key = key.ok().filter(|k| !k.is_empty() && k.len() <= 255).ok_or_else(|| {
        ApiError::new(ErrorCode::InvalidHeader, "Idempotency-Key must be 1 to 255 visible characters")
    })?;

    let (parts, body) = request.into_parts();
    // Uploads take larger bodies than JSON does.
    let limit = state.settings.body_limit.max(state.settings.upload_limit + 16 * 1024);
    let bytes = to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::new(ErrorCode::PayloadTooLarge, "The request body is too large"))?;
    let path = parts.uri.path_and_query().map_or("", |p| p.as_str());
    let fingerprint = fingerprint(parts.method.as_str(), path, &bytes);

    let store = &state.store;
    // Every visitor's page holds the same public client key: its records are kept per
    // client address as well, so one visitor never receives another's stored answer.
    let scope = match &caller {
        Caller::Key { kind: KeyKind::Client, .. } => {
            let ip =
                ClientIp::from_request(&parts.headers, &parts.extensions, state.settings.trust_forwarded_for);
            format!("{}/{}", caller.scope(), ip.key())
        }
        _ => caller.scope(),
    };
    let now = state.clock.now_ms();
    let stale_after = state.settings.request_timeout.as_millis() as i64 + 10_000;
    let begin = store.begin_idempotent(&scope, &key, &fingerprint, now, stale_after).await;
    match begin.map_err(ApiError::from)? {
        IdempotencyBegin::Proceed => {}
        IdempotencyBegin::Replay(stored) => return Ok(replay(stored)),
        IdempotencyBegin::InProgress => {
            return Err(ApiError::new(
                ErrorCode::IdempotencyKeyInUse,
                "The first request with this Idempotency-Key is still running; retry shortly",
            ));
        }
        IdempotencyBegin::Mismatch => {
            return Err(ApiError::new(
                ErrorCode::IdempotencyKeyReused,
                "This Idempotency-Key was used with a different request",
            ));
        }
    }

    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    if response.status().is_server_error() {
        // Nothing was stored; let a retry run again.
        if let Err(error) = store.abandon_idempotent(&scope, &key).await {
            tracing::warn!(?error, "could not release an idempotency key");
        }
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let body = to_bytes(body, usize::MAX).await.map_err(|e| ApiError::internal(e.to_string()))?;
    let stored = StoredResponse {
        status: parts.status.as_u16(),
        headers: REPLAYED_HEADERS
            .iter()
            .filter_map(|name| Some((name.to_string(), parts.headers.get(name)?.to_str().ok()?.to_owned())))
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    if let Err(error) = store.complete_idempotent(&scope, &key, &stored).await {
        // The change itself is committed: answer it. A retry finds the key unfinished and,
        // once stale, runs again; that window is logged.
        tracing::warn!(?error, "could not record an idempotent response");
    }
    Ok(Response::from_parts(parts, Body::from(body)))
}

/// What makes two requests "the same": method, path with query, and body.
pub fn fingerprint(method: &str, path_and_query: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(method);
    hash.update(b" ");
    hash.update(path_and_query);
    hash.update(b"\n");
    hash.update(body);
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = (status, stored.body).into_response();
    let headers = response.headers_mut();
    for (name, value) in stored.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            headers.insert(name, value);
        }
    }
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    response
}
