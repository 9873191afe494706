//! Headers every response carries: `nosniff` (no response is ever read as another type),
//! HSTS when browsers reach the server over HTTPS (`--public-url https://…`), and, for the API
//! reference at `/docs`, a strict policy of its own and no framing.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::http::AppState;

/// Swagger UI's page: its own scripts only; inline styles and data: images are how it draws.
const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Whether a path is the API reference page or one of its assets.
pub fn is_docs(path: &str) -> bool {
    path == "/docs" || path.starts_with("/docs/")
}

pub async fn middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let docs = is_docs(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.entry(header::X_CONTENT_TYPE_OPTIONS).or_insert(HeaderValue::from_static("nosniff"));
    if state.settings.public_url.as_deref().is_some_and(|url| url.starts_with("https://")) {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    if docs {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DOCS_CSP));
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    }
    response
}
