//! The web inbox: static files built into the binary (`web/inbox/`), served with a strict
//! Content-Security-Policy, never framed, and revalidated by content hash (`ETag`).

use std::sync::OnceLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ErrorCode};
use crate::http::AppState;

/// Every file of the inbox: name, content type, content.
const FILES: &[(&str, &str, &str)] = &[
    ("index.html", "text/html; charset=utf-8", include_str!("../../web/inbox/index.html")),
    ("inbox.css", "text/css; charset=utf-8", include_str!("../../web/inbox/inbox.css")),
    ("app.js", "text/javascript; charset=utf-8", include_str!("../../web/inbox/app.js")),
    ("api.js", "text/javascript; charset=utf-8", include_str!("../../web/inbox/api.js")),
    ("attention.js", "text/javascript; charset=utf-8", include_str!("../../web/inbox/attention.js")),
    ("canned.js", "text/javascript; charset=utf-8", include_str!("../../web/inbox/canned.js")),
    ("details.js", "text/javascript; charset=utf-8", include_str!("../../web/inbox/details.js")),
    ("filters.js", "text/javascript; charset=utf-8", include_str!("../../web/inbox/filters.js")),
    ("live.js", "text/javascript; charset=utf-8", include_str!("../../web/inbox/live.js")),
    ("signin.js", "text/javascript; charset=utf-8", include_str!("../../web/inbox/signin.js")),
    ("thread.js", "text/javascript; charset=utf-8", include_str!("../../web/inbox/thread.js")),
    ("ui.js", "text/javascript; charset=utf-8", include_str!("../../web/inbox/ui.js")),
    ("views.js", "text/javascript; charset=utf-8", include_str!("../../web/inbox/views.js")),
    ("icon.svg", "image/svg+xml", include_str!("../../web/inbox/icon.svg")),
];

/// Scripts, styles and connections from this origin only; no inline script or style; never in
/// a frame; images from anywhere over HTTPS (attachments, avatars).
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; \
                   connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
                   frame-ancestors 'none'";

fn etags() -> &'static Vec<String> {
    static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
    ETAGS.get_or_init(|| {
        FILES
            .iter()
            .map(|(_, _, content)| {
                let digest = Sha256::digest(content.as_bytes());
                let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
                format!("\"{hex}\"")
            })
            .collect()
    })
}

fn serve(name: &str, headers: &HeaderMap) -> Response {
    let Some(index) = FILES.iter().position(|(file, _, _)| *file == name) else {
        return ApiError::new(ErrorCode::RouteNotFound, format!("No file /assets/{name}")).into_response();
    };
    let (_, content_type, content) = FILES[index];
    let etag = &etags()[index];
    let fresh = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str());
    let mut response = if fresh { StatusCode::NOT_MODIFIED.into_response() } else { content.into_response() };
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(etag) = HeaderValue::from_str(etag) {
        out.insert(header::ETAG, etag);
    }
    // Revalidated on every use: a new binary's files are picked up at once.
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    out.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    out.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    out.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    out.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

async fn page(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    serve(&name, &headers)
}

/// `/` (the inbox), `/setup` (the first admin's link) and `/assets/…`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(page))
        .route("/setup", get(page))
        .route("/assets/{name}", get(asset))
        .route("/favicon.ico", get(|headers: HeaderMap| async move { serve("icon.svg", &headers) }))
}
