//! The visitor widget (`web/widget/`): `/widget.js`, the loader any website adds with one
//! script tag; `/widget/frame`, the chat itself, the one page meant to be framed — by the
//! pages its client key's channel allows (`allowed_origins`, else any); and `/demo`, a
//! storefront carrying the widget with the demo's client key.

use std::sync::OnceLock;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::auth::hash_secret;
use crate::http::AppState;

const FILES: &super::Files = &[
    ("loader.js", "text/javascript; charset=utf-8", include_str!("../../../web/widget/loader.js")),
    ("frame.html", "text/html; charset=utf-8", include_str!("../../../web/widget/frame.html")),
    ("frame.css", "text/css; charset=utf-8", include_str!("../../../web/widget/frame.css")),
    ("frame.js", "text/javascript; charset=utf-8", include_str!("../../../web/widget/frame.js")),
    ("chat.js", "text/javascript; charset=utf-8", include_str!("../../../web/widget/chat.js")),
    ("thread.js", "text/javascript; charset=utf-8", include_str!("../../../web/widget/thread.js")),
    ("strings.js", "text/javascript; charset=utf-8", include_str!("../../../web/widget/strings.js")),
    ("demo.css", "text/css; charset=utf-8", include_str!("../../../web/widget/demo.css")),
];
static ETAGS: OnceLock<Vec<String>> = OnceLock::new();

const DEMO: &str = include_str!("../../../web/widget/demo.html");

/// The frame's policy; `{ancestors}` is filled in per request.
const FRAME_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                         connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}";
const ASSET_CSP: &str = "default-src 'none'; frame-ancestors 'none'";
const DEMO_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                        frame-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
                        form-action 'none'; frame-ancestors 'none'";

async fn loader(headers: HeaderMap) -> Response {
    let mut response = super::serve((FILES, &ETAGS), "loader.js", &headers, ASSET_CSP);
    // Any site may load it.
    response.headers_mut().insert("cross-origin-resource-policy", HeaderValue::from_static("cross-origin"));
    response
}

/// The pages that may frame the chat of client key `key`: its channel's `allowed_origins`,
/// else any; none for a key that is not a live client key.
async fn ancestors(state: &AppState, key: Option<&str>) -> String {
    let Some(key) = key.filter(|k| k.starts_with(crate::auth::CLIENT_PREFIX)) else { return "'none'".into() };
    let Ok(Some(found)) = state.store.find_key_by_hash(&hash_secret(key)).await else {
        return "'none'".into();
    };
    match state.store.client_key_origins(&found.workspace_id, &found.key_id).await {
        Ok(None) => "*".into(),
        Ok(Some(origins)) => {
            std::iter::once("'self'".to_owned()).chain(origins).collect::<Vec<_>>().join(" ")
        }
        Err(_) => "'none'".into(),
    }
}

async fn frame(State(state): State<AppState>, RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    let query = query.unwrap_or_default();
    let key =
        form_urlencoded::parse(query.as_bytes()).find(|(name, _)| name == "key").map(|(_, v)| v.into_owned());
    let policy = FRAME_CSP.replace("{ancestors}", &ancestors(&state, key.as_deref()).await);
    let mut response = super::serve((FILES, &ETAGS), "frame.html", &headers, &policy);
    // The policy differs by key: a cached copy is revalidated against this request's.
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    if name == "frame.html" || name == "loader.js" {
        return super::serve((FILES, &ETAGS), "", &headers, ASSET_CSP);
    }
    super::serve((FILES, &ETAGS), &name, &headers, ASSET_CSP)
}

/// A storefront page carrying the widget, to chat as a visitor while answering in the inbox.
async fn demo(State(state): State<AppState>) -> Response {
    let live = |key: &str| {
        let hash = hash_secret(key);
        let store = state.store.clone();
        async move { matches!(store.find_key_by_hash(&hash).await, Ok(Some(_))) }
    };
    let key = match state.store.demo_client_key().await {
        Ok(Some(key)) if live(&key).await => key,
        Ok(_) => {
            return (
                StatusCode::NOT_FOUND,
                "No demo here: its client key was revoked or never made (`baton demo` makes one).",
            )
                .into_response();
        }
        Err(error) => return crate::error::ApiError::from(error).into_response(),
    };
    let mut response = Html(DEMO.replace("{{client_key}}", &key)).into_response();
    let out = response.headers_mut();
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    super::protect(out, DEMO_CSP);
    out.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/widget.js", get(loader))
        .route("/widget/frame", get(frame))
        .route("/widget/assets/{name}", get(asset))
        .route("/demo", get(demo))
}

#[cfg(test)]
mod widget_files {
    #[test]
    fn every_file_of_the_widget_is_served_and_every_import_resolves() {
        super::super::check_served("web/widget", super::FILES, &["demo.html"], "/widget/assets/");
    }
}
