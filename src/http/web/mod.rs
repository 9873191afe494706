//! The browser front ends, built into the binary: the web inbox (`inbox`) and the visitor
//! widget with its demo page (`widget`). Files are served with a strict
//! Content-Security-Policy and revalidated by content hash (`ETag`).

mod inbox;
mod widget;

use std::sync::OnceLock;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ErrorCode};
use crate::http::AppState;

/// A front end's files: name, content type, content.
type Files = [(&'static str, &'static str, &'static str)];

/// Quoted content hashes of `files`, computed once per table.
fn etags(files: &'static Files, cell: &'static OnceLock<Vec<String>>) -> &'static [String] {
    cell.get_or_init(|| {
        files
            .iter()
            .map(|(_, _, content)| {
                let digest = Sha256::digest(content.as_bytes());
                let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
                format!("\"{hex}\"")
            })
            .collect()
    })
}

/// File `name` of `files` (304 when the client's copy is current), with `policy` as its
/// Content-Security-Policy.
fn serve(
    (files, cell): (&'static Files, &'static OnceLock<Vec<String>>),
    name: &str,
    headers: &HeaderMap,
    policy: &str,
) -> Response {
    let Some(index) = files.iter().position(|(file, _, _)| *file == name) else {
        return ApiError::new(ErrorCode::RouteNotFound, format!("No file {name}")).into_response();
    };
    let (_, content_type, content) = files[index];
    let etag = &etags(files, cell)[index];
    let fresh = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str());
    let mut response = if fresh { StatusCode::NOT_MODIFIED.into_response() } else { content.into_response() };
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(etag) = HeaderValue::from_str(etag) {
        out.insert(header::ETAG, etag);
    }
    // Revalidated on every use: a new binary's files are picked up at once.
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    protect(out, policy);
    response
}

/// The headers every page and asset carries.
fn protect(out: &mut HeaderMap, policy: &str) {
    if let Ok(policy) = HeaderValue::from_str(policy) {
        out.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    out.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    out.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
}

pub fn router() -> Router<AppState> {
    inbox::router().merge(widget::router())
}

/// Checks a front end's hand-kept file table against its folder, so a file added without an
/// entry fails here rather than as a 404 only a browser notices.
#[cfg(test)]
fn check_served(folder: &str, files: &Files, not_served: &[&str], asset_prefix: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let served: Vec<&str> = files.iter().map(|(name, _, _)| *name).collect();
    for entry in std::fs::read_dir(&dir).expect("the front end's folder") {
        let name = entry.expect("an entry").file_name().to_string_lossy().into_owned();
        assert!(
            served.contains(&name.as_str()) || not_served.contains(&name.as_str()),
            "{folder}/{name} is not served"
        );
    }
    for (name, _, content) in files {
        let wanted = content
            .split(['\'', '"'])
            .filter_map(|piece| piece.strip_prefix("./").or_else(|| piece.strip_prefix(asset_prefix)))
            .filter(|target| target.ends_with(".js") || target.ends_with(".css") || target.ends_with(".svg"));
        for target in wanted {
            assert!(served.contains(&target), "{folder}/{name} asks for {target}, which is not served");
        }
    }
}
