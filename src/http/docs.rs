//! OpenAPI pieces shared by every operation: the problem response for each error status.

use std::collections::BTreeMap;

use utoipa::Modify;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder, Schema};

use crate::error::ErrorCode;

/// The problem+json response for HTTP status `S`, for `responses(...)` lists: `E<404>`.
pub struct E<const S: u16>;

impl<const S: u16> utoipa::IntoResponses for E<S> {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let description = match S {
            400 => "Malformed JSON, parameter or header",
            401 => "Missing or invalid API key",
            403 => "The key lacks the scope for this operation",
            404 => "No such object in this workspace",
            409 => "The request conflicts with the current state",
            412 => "`If-Match` names a version that is no longer current",
            413 => "Request body too large",
            415 => "The body is not `application/json`",
            422 => "Validation failed; `errors` names each bad field",
            429 => "Rate limited; see `Retry-After`",
            500 => "Internal error (details are logged, never shown)",
            503 => "Database unavailable or request timed out",
            _ => "Error",
        };
        let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
        let response = ResponseBuilder::new()
            .description(description)
            .content("application/problem+json", content)
            .build();
        BTreeMap::from([(S.to_string(), RefOr::T(response))])
    }
}

/// Lists every error code as the `Problem` schema's `code` enum, from the error table.
pub struct ProblemCodes;

impl Modify for ProblemCodes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Some(components) = openapi.components.as_mut() else { return };
        let Some(RefOr::T(Schema::Object(problem))) = components.schemas.get_mut("Problem") else { return };
        if let Some(RefOr::T(Schema::Object(code))) = problem.properties.get_mut("code") {
            code.enum_values = Some(ErrorCode::ALL.iter().map(|c| c.as_str().into()).collect());
        }
    }
}

/// The `Idempotency-Key` header every POST accepts.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[expect(dead_code, reason = "documents a header read by the idempotency middleware")]
pub struct IdempotencyKey {
    /// Makes the request safe to retry: a retry with the same key and body within 24 hours
    /// replays the first response (with `Idempotent-Replayed: true`).
    #[param(rename = "Idempotency-Key", nullable = false, min_length = 1, max_length = 255)]
    idempotency_key: Option<String>,
}

/// The `If-Match` header every PATCH honours.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[expect(dead_code, reason = "documents a header read by the IfMatch extractor")]
pub struct IfMatchHeader {
    /// Only update if the object's ETag (its `version`) still matches; else 412.
    #[param(rename = "If-Match", nullable = false, pattern = r#"^(\*|(W/)?"[0-9]+")$"#, example = "\"3\"")]
    if_match: Option<String>,
}
