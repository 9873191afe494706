//! Changing versioned objects: `If-Match` on the way in, `ETag` on the way out, PATCH fields
//! that keep, clear or set, and read-modify-write under optimistic concurrency.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::{ApiError, ErrorCode};

/// The version an `If-Match` header demands, if any (`*` demands none).
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(header::IF_MATCH) else {
            return Ok(IfMatch(None));
        };
        let text = value.to_str().unwrap_or_default().trim();
        if text == "*" {
            return Ok(IfMatch(None));
        }
        // An entity-tag is quoted, optionally weak: "3" or W/"3".
        let quoted = text.strip_prefix("W/").unwrap_or(text);
        let version = quoted.strip_prefix('"').and_then(|t| t.strip_suffix('"')).and_then(|t| t.parse().ok());
        version
            .map(|v| IfMatch(Some(v)))
            .ok_or_else(|| ApiError::new(ErrorCode::InvalidHeader, "If-Match must be an ETag such as \"3\""))
    }
}

impl IfMatch {
    /// 412 when the caller's version is not the current one.
    pub fn check(&self, current: i64) -> Result<(), ApiError> {
        match self.0 {
            Some(expected) if expected != current => Err(ApiError::new(
                ErrorCode::PreconditionFailed,
                format!("If-Match asked for version {expected}; the current version is {current}"),
            )),
            _ => Ok(()),
        }
    }
}

/// Objects that carry a `version`.
pub trait Versioned {
    fn version(&self) -> i64;
}

/// A JSON response with `ETag: "<version>"`.
pub struct WithEtag<T>(pub StatusCode, pub T);

impl<T: Serialize + Versioned> IntoResponse for WithEtag<T> {
    fn into_response(self) -> Response {
        let etag = HeaderValue::from_str(&format!("\"{}\"", self.1.version()));
        let mut response = (self.0, axum::Json(self.1)).into_response();
        if let Ok(etag) = etag {
            response.headers_mut().insert(header::ETAG, etag);
        }
        response
    }
}

/// A field of a PATCH body: absent (keep), `null` (clear) or a value (set).
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Patch<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Patch<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer).map(|v| v.map_or(Patch::Null, Patch::Value))
    }
}

impl<T> Patch<T> {
    /// The patch with its value (if it sets one) turned by `f`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Patch::Absent => Patch::Absent,
            Patch::Null => Patch::Null,
            Patch::Value(v) => Patch::Value(f(v)),
        }
    }

    /// Applies this patch to an optional field.
    pub fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Patch::Absent => current,
            Patch::Null => None,
            Patch::Value(v) => Some(v),
        }
    }
}

/// Read-modify-write under optimistic concurrency. `save` gets the current row and writes
/// the patched one only if the row is still at that version. With `If-Match`, a concurrent
/// change is a 412; without, the patch is re-applied to the fresh row.
pub async fn update_optimistically<R, O, LF, SF>(
    if_match: &IfMatch,
    version: fn(&R) -> i64,
    load: impl Fn() -> LF,
    save: impl Fn(R) -> SF,
) -> Result<O, ApiError>
where
    LF: Future<Output = Result<R, ApiError>>,
    SF: Future<Output = Result<O, ApiError>>,
{
    loop {
        let current = load().await?;
        if_match.check(version(&current))?;
        match save(current).await {
            Err(error) if error.code == ErrorCode::PreconditionFailed && if_match.0.is_none() => {
                continue;
            }
            result => return result,
        }
    }
}
