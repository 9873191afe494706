//! `/v1/uploads` and `/v1/files/{id}`: files sent in conversations. An upload is checked on
//! its bytes (not its declared type), kept in the database and attached to messages by id;
//! its URL is signed and expires, and serving never lets a browser run it as a page.

pub mod attach;
mod multipart;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::KeyKind;
use crate::clock::Timestamp;
use crate::domain::file_type::{self, INLINE_IMAGES};
use crate::domain::validate::is_bidi_control;
use crate::error::{ApiError, ApiResult, ErrorCode, FieldError};
use crate::http::AppState;
use crate::http::authenticate::Caller;
use crate::http::caller::{OptionalCaller, Uploader};
use crate::http::client_ip::ClientIp;
use crate::http::docs::{E, IdempotencyKey};
use crate::http::extract::{FromQuery, PathId, Query, QueryMap};
use crate::http::quotas::Quota;
use crate::ids;
use crate::store::{Entity, FileRow, NewFile, StoreError};

#[derive(Debug, Serialize, ToSchema)]
pub struct UploadOut {
    #[schema(value_type = String, example = "upload")]
    pub object: &'static str,
    #[schema(example = "file_01JX3Q8ZK4V1M2N3P4Q5R6S7T8")]
    pub id: String,
    pub name: String,
    /// The type found in the content.
    #[schema(example = "image/png")]
    pub mime_type: String,
    /// Bytes.
    pub size: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    /// Signed, expires in one to two hours.
    pub url: String,
    pub created_at: Timestamp,
}

/// A file's bytes (in the OpenAPI document).
#[derive(ToSchema)]
#[expect(dead_code, reason = "describes a response body for the OpenAPI document only")]
#[schema(value_type = String, format = Binary)]
pub struct FileBytes(pub Vec<u8>);

/// A form carrying a file (in the OpenAPI document).
#[derive(ToSchema)]
#[expect(dead_code, reason = "describes a request body for the OpenAPI document only")]
pub struct UploadForm {
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// Upload parameters.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name, for a raw body (a form's part carries its own).
    pub name: Option<String>,
}

impl FromQuery for UploadQuery {
    fn from_query(q: &mut QueryMap) -> ApiResult<Self> {
        Ok(UploadQuery { name: q.string("name")? })
    }
}

/// A signed file URL's parameters (without them, send a key or token that reaches the file).
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileQuery {
    /// Unix seconds.
    pub expires: Option<i64>,
    /// Hex HMAC-SHA256 of `{id}.{expires}`.
    pub signature: Option<String>,
}

impl FromQuery for FileQuery {
    fn from_query(q: &mut QueryMap) -> ApiResult<Self> {
        Ok(FileQuery {
            expires: q.integer("expires", 0, i64::MAX / 1000)?,
            signature: q.string("signature")?,
        })
    }
}

fn invalid(field: &str, message: &str) -> ApiError {
    let mut error = ApiError::new(ErrorCode::ValidationFailed, format!("`{field}` {message}"));
    error.errors = vec![FieldError::new(field, message)];
    error
}

/// A name safe to show and to put in a header: no path, no control characters, ≤ 255 chars.
fn clean_name(name: Option<String>) -> String {
    let name = name.unwrap_or_default();
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String =
        base.chars().filter(|c| !c.is_control() && !is_bidi_control(*c) && *c != '"').take(255).collect();
    if clean.trim().is_empty() { "upload".into() } else { clean.trim().to_owned() }
}

/// Upload a file: the raw bytes as the body with their `Content-Type` and `?name=`, or a
/// `multipart/form-data` form with one `file` part. Its type is read from its content (422
/// `unsupported_file_type` when not allowed); attach it to a message with
/// `attachments: [{"upload_id": "file_…"}]`. Unattached uploads are deleted after a day.
#[utoipa::path(post, path = "/v1/uploads", tag = "files", params(UploadQuery, IdempotencyKey),
    request_body(description = "The file's bytes, or a form with a `file` part",
        content((FileBytes = "application/octet-stream"), (UploadForm = "multipart/form-data"))),
    responses((status = 201, description = "Stored", body = UploadOut),
        E<400>, E<401>, E<403>, E<409>, E<413>, E<415>, E<422>, E<429>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = []), ("contact_token" = [])))]
async fn upload(
    uploader: Uploader,
    State(state): State<AppState>,
    ip: ClientIp,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, axum::Json<UploadOut>)> {
    let limit = state.settings.upload_limit;
    let too_large = || {
        ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("A file may have at most {limit} bytes (--upload-limit-bytes)"),
        )
    };
    // A visitor's uploads are counted before the body is read, their bytes once it is.
    let visitor = uploader.contact_id.as_deref().map(|contact| (contact, ip.key(), state.clock.now_ms()));
    if let Some((contact, address, now)) = &visitor {
        state.visitors.admit(&[Quota::Upload], contact, address, *now)?;
    }
    // Room for a form's boundaries and headers around a file at the limit.
    let bytes = http_body_util::Limited::new(body, limit + 16 * 1024)
        .collect()
        .await
        .map_err(|_| too_large())?
        .to_bytes();
    let content_type =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let (name, declared, content) = match multipart::boundary(&content_type) {
        Some(boundary) => {
            let part = multipart::file_part(&bytes, &boundary)
                .map_err(|why| invalid("file", &format!("the form {why}")))?;
            (part.filename.or(query.name), part.content_type.unwrap_or_default(), part.bytes)
        }
        None => (query.name, content_type, bytes.to_vec()),
    };
    if content.is_empty() {
        return Err(invalid("file", "is empty"));
    }
    if content.len() > limit {
        return Err(too_large());
    }
    if let Some((contact, address, now)) = &visitor {
        state.visitors.admit(&[Quota::UploadBytes(content.len() as u64)], contact, address, *now)?;
    }
    let name = clean_name(name);
    let declared = declared.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let Some(mime_type) = file_type::sniff(&content, &declared, &name) else {
        let mut error = ApiError::new(
            ErrorCode::UnsupportedFileType,
            "The file's content is not an allowed type: images (png, jpeg, gif, webp), pdf, plain text, csv, \
             audio, video or office documents",
        );
        error.errors = vec![FieldError::new("file", "is not an allowed type")];
        return Err(error);
    };
    let sha256: String = Sha256::digest(&content).iter().map(|b| format!("{b:02x}")).collect();
    let file = NewFile {
        id: ids::new_id("file"),
        contact_id: uploader.contact_id.clone(),
        name,
        mime_type: mime_type.to_owned(),
        sha256,
        content,
    };
    let now = state.clock.now_ms();
    let row = state.store.create_file(&uploader.workspace, file, now).await?;
    let url = state.file_signer().await?.url(&row.id, now);
    Ok((StatusCode::CREATED, axum::Json(upload_out(row, url))))
}

fn upload_out(row: FileRow, url: String) -> UploadOut {
    UploadOut {
        object: "upload",
        url,
        id: row.id,
        name: row.name,
        mime_type: row.mime_type,
        size: row.size,
        sha256: row.sha256,
        created_at: Timestamp(row.created_at),
    }
}

/// A file's bytes, by its signed URL (no key needed until it expires) or with a key or token
/// that reaches it (a contact token: only the files of the visitor's own conversations).
/// Images show inline; everything else downloads; nothing is ever served as a page.
#[utoipa::path(get, path = "/v1/files/{id}", tag = "files", params(("id" = String, Path), FileQuery),
    responses((status = 200, description = "The file's bytes, as the type found in them", content_type = "*/*", body = FileBytes),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security((), ("server_key" = []), ("member_token" = []), ("contact_token" = [])))]
async fn get_file(
    OptionalCaller(caller): OptionalCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    Query(query): Query<FileQuery>,
) -> ApiResult<Response> {
    let not_found = || ApiError::from(StoreError::NotFound(Entity::File));
    let now = state.clock.now_ms();
    let link_invalid = || {
        ApiError::new(
            ErrorCode::FileLinkInvalid,
            "This file link is altered or expired: read the message again for a fresh one",
        )
    };
    let signed = query.expires.is_some() || query.signature.is_some();
    if signed {
        let (Some(expires), Some(signature)) = (query.expires, &query.signature) else {
            return Err(link_invalid());
        };
        if !state.file_signer().await?.verify(&id, expires, signature, now) {
            return Err(link_invalid());
        }
    } else {
        match &caller {
            None => {
                return Err(ApiError::new(
                    ErrorCode::MissingApiKey,
                    "Use the file's signed `url`, or send a key as `Authorization: Bearer <key>`",
                ));
            }
            // A client key is in every visitor's page: it never reads a file.
            Some(Caller::Key { kind: KeyKind::Client, .. } | Caller::Admin) => {
                return Err(ApiError::new(
                    ErrorCode::ForbiddenForKey,
                    "A file is read by its signed `url`, a server key, a member token, or the contact token \
                     of its conversation",
                ));
            }
            Some(_) => {}
        }
    }
    let (file, content) = state.store.file_content(&id).await?.ok_or_else(not_found)?;
    let reachable = match &caller {
        _ if signed => true,
        Some(Caller::Key { workspace, kind: KeyKind::Server, .. } | Caller::Member { workspace, .. }) => {
            *workspace == file.workspace_id
        }
        Some(Caller::Contact { workspace, contact_id, .. }) => {
            *workspace == file.workspace_id
                && state.store.contact_reaches_file(workspace, contact_id, &file).await?
        }
        _ => false,
    };
    if !reachable {
        return Err(not_found());
    }
    Ok(serve(&file, content))
}

/// The bytes with headers that keep a browser from running them: the type found in the
/// content, `nosniff`, a sandboxing policy, and `attachment` for anything but safe images.
fn serve(file: &FileRow, content: Vec<u8>) -> Response {
    let inline = INLINE_IMAGES.contains(&file.mime_type.as_str());
    let encoded: String = url::form_urlencoded::byte_serialize(file.name.as_bytes()).collect();
    let disposition = format!(
        "{}; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        encoded.replace('+', "%20")
    );
    let mut response = content.into_response();
    let headers = response.headers_mut();
    let value =
        |v: &str| HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, value(&file.mime_type));
    headers.insert(header::CONTENT_DISPOSITION, value(&disposition));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    response
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(upload)).routes(routes!(get_file))
}

#[cfg(test)]
mod tests {
    use super::clean_name;

    #[test]
    fn names_lose_paths_and_control_characters() {
        assert_eq!(clean_name(Some("../../etc/passwd".into())), "passwd");
        assert_eq!(clean_name(Some("C:\\Users\\me\\photo \"1\".png".into())), "photo 1.png");
        assert_eq!(clean_name(Some("a\r\nb.txt".into())), "ab.txt");
        assert_eq!(clean_name(Some("invoice\u{202E}fdp.exe".into())), "invoicefdp.exe");
        assert_eq!(clean_name(None), "upload");
    }
}
