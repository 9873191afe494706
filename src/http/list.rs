//! The list envelope and its paging parameters, shared by every `GET` collection.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::extract::{FromQuery, QueryMap, bad_param};
use crate::error::ApiError;
use crate::store::{Page, PageRequest};

/// Paging parameters.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1–100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u32>,
    /// Opaque position from a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Rows to skip, for page-number UIs (not with `cursor`).
    #[param(minimum = 0)]
    pub offset: Option<u64>,
    /// Adds `total`, the count of all matching items.
    pub include_total: Option<bool>,
}

impl FromQuery for PageQuery {
    fn from_query(query: &mut QueryMap) -> Result<Self, ApiError> {
        let page = PageQuery {
            limit: query.integer("limit", 1, 100)?.map(|n| n as u32),
            cursor: query.string("cursor")?,
            offset: query.integer("offset", 0, i64::MAX)?.map(|n| n as u64),
            include_total: query.boolean("include_total")?,
        };
        if page.cursor.is_some() && page.offset.is_some() {
            return Err(bad_param("offset", "cannot be combined with cursor"));
        }
        Ok(page)
    }
}

impl PageQuery {
    /// The store's page request, newest first unless `descending` is false.
    pub fn request(&self, descending: bool) -> Result<PageRequest, ApiError> {
        let after = self.cursor.as_deref().map(decode_cursor).transpose()?;
        Ok(PageRequest {
            limit: self.limit.unwrap_or(20),
            after,
            offset: self.offset,
            include_total: self.include_total.unwrap_or(false),
            descending,
        })
    }
}

fn encode_cursor((key, id): &(i64, String)) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::json!([key, id]).to_string())
}

fn decode_cursor(cursor: &str) -> Result<(i64, String), ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<(i64, String)>(&bytes).ok())
        .ok_or_else(|| bad_param("cursor", "is not a cursor this API returned"))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListOut<T: ToSchema> {
    #[schema(value_type = String, example = "list")]
    pub object: &'static str,
    pub data: Vec<T>,
    pub has_more: bool,
    /// Pass as `cursor` to read the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// With `include_total=true`: how many items match in all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

impl<T: ToSchema> ListOut<T> {
    pub fn from_page<R>(page: Page<R>, to_out: impl Fn(R) -> T) -> Self {
        ListOut {
            object: "list",
            next_cursor: page.next.as_ref().map(encode_cursor),
            data: page.items.into_iter().map(to_out).collect(),
            has_more: page.has_more,
            total: page.total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let position = (1_779_458_922_120, "ct_01JX".to_owned());
        assert_eq!(decode_cursor(&encode_cursor(&position)).unwrap(), position);
        assert!(decode_cursor("not-a-cursor").is_err());
    }
}
