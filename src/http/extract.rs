//! Wrappers around axum's extractors (JSON bodies, path ids, query strings) so every rejection
//! is a problem+json error that names what is wrong.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use super::objects_only::ObjectsOnly;
use crate::error::{ApiError, ErrorCode, FieldError};

/// A JSON body, validated into `T` (unknown fields rejected by `T`'s serde attributes).
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "Send the body as JSON with `Content-Type: application/json`",
            ));
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(ErrorCode::PayloadTooLarge, "The request body is too large")
            } else {
                ApiError::new(ErrorCode::InvalidJson, "The request body could not be read")
            }
        })?;
        parse_json(&bytes).map(Json)
    }
}

/// A JSON body that may be left out (no `Content-Type`, no body) or be `null`: then `T::default()`.
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let headers = request.headers();
        let no_body = headers.get(header::CONTENT_LENGTH).map_or_else(
            || !headers.contains_key(header::TRANSFER_ENCODING),
            |length| length.as_bytes() == b"0",
        );
        if no_body && !headers.contains_key(header::CONTENT_TYPE) {
            return Ok(OptionalJson(T::default()));
        }
        Json::<Option<T>>::from_request(request, state)
            .await
            .map(|Json(value)| OptionalJson(value.unwrap_or_default()))
    }
}

/// Parses JSON, reporting syntax errors as 400 and shape errors as 422 naming the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(ObjectsOnly(deserializer)).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => ApiError::validation(vec![field_error(&path, &inner)]),
            _ => ApiError::new(ErrorCode::InvalidJson, format!("Malformed JSON: {inner}")),
        }
    })
}

fn field_error(path: &str, error: &serde_json::Error) -> FieldError {
    let message = error.to_string();
    let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
    let at_root = path == ".";
    // The path of an unknown field already ends at that key.
    if let Some(name) = between(&message, "unknown field `", "`") {
        let field = if at_root { name.to_owned() } else { path.to_owned() };
        return FieldError::new(field, "is not a known field");
    }
    // A missing field is reported against the object that lacks it.
    if let Some(name) = between(&message, "missing field `", "`") {
        let field = if at_root { name.to_owned() } else { format!("{path}.{name}") };
        return FieldError::new(field, "is required");
    }
    // A body that is not an object at all is reported against the body itself.
    let field = if at_root || path.starts_with('[') { "body".to_owned() } else { path.to_owned() };
    FieldError::new(field, message)
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = &text[text.find(start)? + start.len()..];
    Some(&rest[..rest.find(end)?])
}

/// One path segment (an object id).
pub struct PathId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map(|p| PathId(p.0))
            .map_err(|e| ApiError::new(ErrorCode::InvalidParameter, format!("Bad path: {e}")))
    }
}

/// Two path segments (a parent id and a child id).
pub struct PathIds(pub String, pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathIds {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map(|p| PathIds(p.0.0, p.0.1))
            .map_err(|e| ApiError::new(ErrorCode::InvalidParameter, format!("Bad path: {e}")))
    }
}

/// The query string as ordered pairs; typed parameter structs take what they know from it
/// and the rest is an error, so a misspelt filter never silently matches everything.
pub struct QueryMap {
    pairs: Vec<(String, String)>,
    /// Every name a parameter struct asked for, so a test can hold the parser to its docs.
    #[cfg(test)]
    pub asked: Vec<String>,
}

impl QueryMap {
    pub fn parse(query: &str) -> Self {
        Self {
            pairs: form_urlencoded::parse(query.as_bytes()).into_owned().collect(),
            #[cfg(test)]
            asked: Vec::new(),
        }
    }

    fn take_all(&mut self, name: &str) -> Vec<String> {
        #[cfg(test)]
        self.asked.push(name.to_owned());
        let (taken, rest) = std::mem::take(&mut self.pairs).into_iter().partition(|(k, _)| k == name);
        self.pairs = rest;
        taken.into_iter().map(|(_, v)| v).collect()
    }

    /// A single-valued parameter, as given (empty stays empty: for typed parameters).
    pub fn value(&mut self, name: &str) -> Result<Option<String>, ApiError> {
        let mut values = self.take_all(name);
        match values.len() {
            0 => Ok(None),
            1 => Ok(Some(values.remove(0))),
            _ => Err(bad_param(name, "must be given once")),
        }
    }

    /// A single-valued text parameter; empty means absent (as HTML forms send it).
    pub fn string(&mut self, name: &str) -> Result<Option<String>, ApiError> {
        Ok(self.value(name)?.filter(|v| !v.is_empty()))
    }

    /// An array filter: repeated keys and/or comma lists (`a=x&a=y` or `a=x,y`).
    pub fn list(&mut self, name: &str) -> Vec<String> {
        self.items(name).into_iter().filter(|v| !v.is_empty()).collect()
    }

    /// Every item of an array parameter, trimmed: repeated keys, `name[]` keys, comma lists.
    fn items(&mut self, name: &str) -> Vec<String> {
        let mut raw = self.take_all(name);
        raw.extend(self.take_all(&format!("{name}[]")));
        raw.iter().flat_map(|v| v.split(',')).map(|v| v.trim().to_owned()).collect()
    }

    /// An array filter whose values must be among `allowed` (an empty value is an error).
    pub fn enum_list(&mut self, name: &str, allowed: &[&str]) -> Result<Vec<String>, ApiError> {
        let values = self.items(name);
        match values.iter().find(|v| !allowed.contains(&v.as_str())) {
            Some(bad) => Err(bad_param(name, &format!("`{bad}` is not one of {}", allowed.join(", ")))),
            None => Ok(values),
        }
    }

    /// An array filter of ids with `prefix`: a malformed one is a 422 naming the parameter (it
    /// could never match, and an empty list would hide the caller's mistake).
    pub fn id_list(&mut self, name: &str, prefix: &str) -> Result<Vec<String>, ApiError> {
        let ids = self.list(name);
        match ids.iter().find(|id| !crate::ids::is_valid(prefix, id)) {
            Some(bad) => Err(bad_id(name, prefix, bad)),
            None => Ok(ids),
        }
    }

    /// A single id with `prefix`, or one of the `words` (such as `none`), checked like
    /// [`Self::id_list`].
    pub fn id(&mut self, name: &str, prefix: &str, words: &[&str]) -> Result<Option<String>, ApiError> {
        match self.string(name)? {
            Some(id) if !words.contains(&id.as_str()) && !crate::ids::is_valid(prefix, &id) => {
                Err(bad_id(name, prefix, &id))
            }
            other => Ok(other),
        }
    }

    pub fn boolean(&mut self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.value(name)?.as_deref() {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(bad_param(name, "must be true or false")),
        }
    }

    /// An RFC 3339 timestamp, as epoch milliseconds.
    pub fn timestamp(&mut self, name: &str) -> Result<Option<i64>, ApiError> {
        self.value(name)?
            .map(|t| {
                crate::clock::Timestamp::parse(&t)
                    .map(|t| t.0)
                    .ok_or_else(|| bad_param(name, "must be an RFC 3339 timestamp"))
            })
            .transpose()
    }

    pub fn integer(&mut self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        let Some(text) = self.value(name)? else {
            return Ok(None);
        };
        match text.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(bad_param(name, &format!("must be an integer from {min} to {max}"))),
        }
    }

    /// Rejects whatever no parameter struct took.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.pairs.first() {
            Some((name, _)) => Err(bad_param(name, "is not a known parameter")),
            None => Ok(()),
        }
    }
}

fn bad_id(name: &str, prefix: &str, id: &str) -> ApiError {
    ApiError::field(name, format!("`{id}` is not a {prefix}_… id"))
}

pub fn bad_param(name: &str, message: &str) -> ApiError {
    let mut error = ApiError::new(ErrorCode::InvalidParameter, format!("Query parameter `{name}` {message}"));
    error.errors = vec![FieldError::new(name, message)];
    error
}

/// Typed query parameters, taken from a [`QueryMap`].
pub trait FromQuery: Sized {
    fn from_query(query: &mut QueryMap) -> Result<Self, ApiError>;
}

impl FromQuery for () {
    fn from_query(_: &mut QueryMap) -> Result<Self, ApiError> {
        Ok(())
    }
}

impl<A: FromQuery, B: FromQuery> FromQuery for (A, B) {
    fn from_query(query: &mut QueryMap) -> Result<Self, ApiError> {
        Ok((A::from_query(query)?, B::from_query(query)?))
    }
}

/// Query parameters of type `T`; unknown parameters are a 400.
pub struct Query<T>(pub T);

impl<T: FromQuery, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let mut map = QueryMap::parse(parts.uri.query().unwrap_or_default());
        let value = T::from_query(&mut map)?;
        map.finish()?;
        Ok(Query(value))
    }
}
