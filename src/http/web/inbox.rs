//! The web inbox (`web/inbox/`): `/`, `/setup` (the first admin's link) and `/assets/…`;
//! never framed.

use std::sync::OnceLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use axum::routing::get;

use crate::http::AppState;

const FILES: &super::Files = &[
    ("index.html", "text/html; charset=utf-8", include_str!("../../../web/inbox/index.html")),
    ("inbox.css", "text/css; charset=utf-8", include_str!("../../../web/inbox/inbox.css")),
    ("app.js", "text/javascript; charset=utf-8", include_str!("../../../web/inbox/app.js")),
    ("api.js", "text/javascript; charset=utf-8", include_str!("../../../web/inbox/api.js")),
    ("attention.js", "text/javascript; charset=utf-8", include_str!("../../../web/inbox/attention.js")),
    ("canned.js", "text/javascript; charset=utf-8", include_str!("../../../web/inbox/canned.js")),
    ("details.js", "text/javascript; charset=utf-8", include_str!("../../../web/inbox/details.js")),
    ("filters.js", "text/javascript; charset=utf-8", include_str!("../../../web/inbox/filters.js")),
    ("live.js", "text/javascript; charset=utf-8", include_str!("../../../web/inbox/live.js")),
    ("router.js", "text/javascript; charset=utf-8", include_str!("../../../web/inbox/router.js")),
    ("shell.js", "text/javascript; charset=utf-8", include_str!("../../../web/inbox/shell.js")),
    ("signin.js", "text/javascript; charset=utf-8", include_str!("../../../web/inbox/signin.js")),
    ("thread.js", "text/javascript; charset=utf-8", include_str!("../../../web/inbox/thread.js")),
    ("ui.js", "text/javascript; charset=utf-8", include_str!("../../../web/inbox/ui.js")),
    ("views.js", "text/javascript; charset=utf-8", include_str!("../../../web/inbox/views.js")),
    ("icon.svg", "image/svg+xml", include_str!("../../../web/inbox/icon.svg")),
];
static ETAGS: OnceLock<Vec<String>> = OnceLock::new();

/// Scripts, styles, images and connections from this origin only (a third-party image would
/// tell its host who is reading); no inline script or style; never in a frame.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
                   frame-ancestors 'none'";

fn serve(name: &str, headers: &HeaderMap) -> Response {
    let mut response = super::serve((FILES, &ETAGS), name, headers, CSP);
    response.headers_mut().insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

async fn page(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    serve(&name, &headers)
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(page))
        .route("/setup", get(page))
        .route("/assets/{name}", get(asset))
        .route("/favicon.ico", get(|headers: HeaderMap| async move { serve("icon.svg", &headers) }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_file_of_the_inbox_is_served_and_every_import_resolves() {
        super::super::check_served("web/inbox", super::FILES, &[], "/assets/");
    }
}
