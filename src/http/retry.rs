//! Runs a write again when its transaction lost a deadlock or a serialization check to
//! another one (PostgreSQL aborts one of two transactions that wait on each other): the loser
//! changed nothing, and a client should not see how the database scheduled two requests. At
//! most [`ATTEMPTS`] runs, a few milliseconds apart; after that the 503 goes out.
//!
//! It sits inside authentication and idempotency, so those run once per request.

use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, Contended, ErrorCode};

const ATTEMPTS: u32 = 3;
/// Bodies kept for another run; a larger one (an upload) runs once.
const KEPT_BODY: usize = 1 << 20;

pub async fn middleware(request: Request, next: Next) -> Response {
    if request.method() == Method::GET || request.method() == Method::HEAD || !keepable(&request) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, KEPT_BODY).await else {
        return ApiError::new(ErrorCode::InvalidJson, "The request body could not be read").into_response();
    };
    let mut attempt = 1;
    loop {
        let mut again = Request::new(Body::from(body.clone()));
        *again.method_mut() = parts.method.clone();
        *again.uri_mut() = parts.uri.clone();
        *again.version_mut() = parts.version;
        *again.headers_mut() = parts.headers.clone();
        *again.extensions_mut() = parts.extensions.clone();
        let response = next.clone().run(again).await;
        if attempt == ATTEMPTS || response.extensions().get::<Contended>().is_none() {
            return response;
        }
        // Apart by a few random milliseconds, so the two do not meet again in step.
        let jitter = getrandom::u32().unwrap_or_default() % 10;
        tokio::time::sleep(Duration::from_millis(u64::from(5 * attempt + jitter))).await;
        attempt += 1;
    }
}

/// Whether the body has a declared length small enough to keep.
fn keepable(request: &Request) -> bool {
    let length = request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok());
    match length.map(str::parse::<usize>) {
        Some(Ok(length)) => length <= KEPT_BODY,
        Some(Err(_)) => false,
        // No length: no body, unless it is sent in chunks.
        None => !request.headers().contains_key(header::TRANSFER_ENCODING),
    }
}
