//! One error type, one envelope (RFC 9457 problem details), one table of codes.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

mod code;
mod table;

pub use code::ErrorCode;

pub use crate::domain::validate::FieldError;
use crate::domain::validate::Invalid;
use crate::store::{Entity, Outage, StoreError, UniqueKey, outage};

/// An RFC 9457 problem details body.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[schema(example = "https://baton.dev/errors/contact_not_found")]
    pub r#type: String,
    pub title: String,
    pub status: u16,
    pub code: String,
    pub detail: String,
    pub request_id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub detail: String,
    pub errors: Vec<FieldError>,
    /// Seconds for a `Retry-After` header (429).
    pub retry_after: Option<u64>,
    /// The cause of a 5xx, logged once at the edge and never shown to the client.
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

pub type ApiResult<T> = Result<T, ApiError>;

tokio::task_local! {
    /// The id of the request being answered: the HTTP layer's request-id middleware sets it
    /// for the request's task, so every problem body carries it.
    pub static REQUEST_ID: String;
}

/// The id of the request being handled on this task, or an empty string outside one.
pub fn current_request_id() -> String {
    REQUEST_ID.try_with(Clone::clone).unwrap_or_default()
}

impl ApiError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self { code, detail: detail.into(), errors: Vec::new(), retry_after: None, source: None }
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            _ => format!("{} fields are invalid", errors.len()),
        };
        Self { errors, ..Self::new(ErrorCode::ValidationFailed, detail) }
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    /// The same error with its fields named as an API that calls them otherwise does (the
    /// seeds' dialects): each `(native, theirs)` pair renames a field and what is under it.
    pub fn renamed(self, names: &[(&str, &str)]) -> Self {
        if self.code != ErrorCode::ValidationFailed {
            return self;
        }
        let rename = |field: String| {
            names
                .iter()
                .find_map(|(native, theirs)| {
                    let rest = field.strip_prefix(native)?;
                    (rest.is_empty() || rest.starts_with('.')).then(|| format!("{theirs}{rest}"))
                })
                .unwrap_or(field)
        };
        let errors = self.errors.into_iter().map(|e| FieldError { field: rename(e.field), ..e }).collect();
        Self { source: self.source, ..Self::validation(errors) }
    }

    pub fn internal(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        let mut error = Self::new(ErrorCode::InternalError, "The server failed to handle the request");
        error.source = Some(source.into());
        error
    }

    pub fn status(&self) -> StatusCode {
        self.code.status()
    }

    pub fn problem(&self) -> Problem {
        let (status, code, title, _) = self.code.describe();
        Problem {
            r#type: format!("https://baton.dev/errors/{code}"),
            title: title.to_owned(),
            status: status.as_u16(),
            code: code.to_owned(),
            detail: self.detail.clone(),
            request_id: current_request_id(),
            errors: self.errors.clone(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.detail)
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        match outage(&error) {
            None => Self::internal(error),
            Some(kind) => {
                let mut api = Self::outage(kind);
                api.source = Some(Box::new(error));
                api
            }
        }
    }
}

impl ApiError {
    /// The 503 for a database that could not take the request, with when to try again.
    fn outage(kind: Outage) -> Self {
        let (code, detail, retry_after) = match kind {
            Outage::Unavailable | Outage::Contention => {
                (ErrorCode::DatabaseUnavailable, "The database is unavailable; retry shortly", 1)
            }
            Outage::StorageFull => (
                ErrorCode::StorageFull,
                "The server's disk is full: nothing was stored; retry once space is freed",
                30,
            ),
        };
        Self { retry_after: Some(retry_after), ..Self::new(code, detail) }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            match &self.source {
                Some(source) => {
                    tracing::error!(error.code = self.code.as_str(), error = %source, "request failed")
                }
                None => tracing::error!(error.code = self.code.as_str(), "request failed"),
            }
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Database(error) => error.into(),
            StoreError::Outage(kind) => Self::outage(kind),
            StoreError::VersionMismatch => Self::new(
                ErrorCode::PreconditionFailed,
                "The object changed since it was read; fetch it again and retry",
            ),
            StoreError::Conflict(key) => {
                let (code, detail) = match key {
                    UniqueKey::ContactEmail => {
                        (ErrorCode::ContactEmailTaken, "Another contact in this workspace has this email")
                    }
                    UniqueKey::ContactExternalId => (
                        ErrorCode::ContactExternalIdTaken,
                        "Another contact in this workspace has this external_id",
                    ),
                    UniqueKey::TagName => {
                        (ErrorCode::TagNameTaken, "Another tag in this workspace has this name")
                    }
                    UniqueKey::StateName => {
                        (ErrorCode::StateNameTaken, "Another state in this workspace has this name")
                    }
                    UniqueKey::MemberEmail => {
                        (ErrorCode::MemberEmailTaken, "Another member of this workspace has this email")
                    }
                    UniqueKey::ConversationTicket => {
                        (ErrorCode::TicketExists, "This conversation already has a ticket; PATCH it instead")
                    }
                    UniqueKey::CannedShortcode => (
                        ErrorCode::ShortcodeTaken,
                        "Another canned response in this workspace has this shortcode",
                    ),
                    UniqueKey::TeamName => {
                        (ErrorCode::TeamNameTaken, "Another team in this workspace has this name")
                    }
                };
                Self::new(code, detail)
            }
            StoreError::NotFound(entity) => {
                let code = match entity {
                    Entity::Conversation => ErrorCode::ConversationNotFound,
                    Entity::Message => ErrorCode::MessageNotFound,
                    Entity::Note => ErrorCode::NoteNotFound,
                    Entity::Contact => ErrorCode::ContactNotFound,
                    Entity::Member => ErrorCode::MemberNotFound,
                    Entity::Team => ErrorCode::TeamNotFound,
                    Entity::Ticket => ErrorCode::TicketNotFound,
                    Entity::Agent => ErrorCode::AgentNotFound,
                    Entity::Delivery => ErrorCode::DeliveryNotFound,
                    Entity::File => ErrorCode::FileNotFound,
                };
                Self::new(code, format!("No such {} in this workspace", entity.as_str()))
            }
            StoreError::InvalidReference(field) => Self::field(field, "names nothing in this workspace"),
            StoreError::Refused(refusal) => refusal.into(),
        }
    }
}

impl From<Invalid> for ApiError {
    fn from(invalid: Invalid) -> Self {
        Self::validation(invalid.errors)
    }
}

impl From<crate::domain::conversation::Refusal> for ApiError {
    fn from(refusal: crate::domain::conversation::Refusal) -> Self {
        use crate::domain::conversation::Refusal;
        match refusal {
            Refusal::Closed => {
                Self::new(ErrorCode::ConversationClosed, "The conversation is closed; start a new one")
            }
            Refusal::NotAiMode => Self::new(
                ErrorCode::ConversationInHumanMode,
                "AI messages are only accepted while the conversation is in `ai` mode",
            ),
            Refusal::ContactBlocked => Self::new(ErrorCode::ContactBlocked, "The contact is blocked"),
            Refusal::SnoozeNeedsTime => {
                Self::field("snoozed_until", "must be a time in the future to snooze")
            }
            Refusal::StatusBackwards => Self::new(
                ErrorCode::InvalidStatusTransition,
                "Message status only moves forward: sent → delivered → read, or failed",
            ),
            Refusal::FeedbackNotOnAgentMessage => {
                Self::new(ErrorCode::FeedbackNotAllowed, "Feedback can only be given on AI agent messages")
            }
            Refusal::MessageDeleted => Self::new(ErrorCode::MessageDeleted, "The message was deleted"),
            Refusal::InHumanMode => {
                Self::new(ErrorCode::ConversationInHumanMode, "A human already handles this conversation")
            }
            Refusal::AlreadyTaken => Self::new(
                ErrorCode::ConversationAlreadyTaken,
                "Another member handles this conversation; send `force: true` to take it over",
            ),
            Refusal::NoAiAgent => Self::new(
                ErrorCode::NoAiAgent,
                "No AI agent can answer this conversation: give it, its channel or the workspace an agent",
            ),
        }
    }
}
