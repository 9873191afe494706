//! Seed 004, "support conversations": subject, number and requester, looked up or created by
//! email; limit/offset lists with `count`; messages by sender email. Paths end in `/` as
//! documented, and answer without it too.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

mod messages;

use super::{conversation, page_at};
use crate::clock::Timestamp;
use crate::domain::conversation::{Priority, Status};
use crate::domain::validate::Checker;
use crate::error::ApiResult;
use crate::http::AppState;
use crate::http::caller::WorkspaceCaller;
use crate::http::docs::{E, IdempotencyKey};
use crate::http::extract::{FromQuery, Json, PathId, Query, QueryMap, bad_param};
use crate::http::resources::conversations::{
    ContactLookupIn, ConversationIn, change_conversation, create_conversation,
};
use crate::http::resources::messages::{MessageIn, PostSender};
use crate::store::{ConversationFilter, ConversationRow, ConversationSort};

const TAG: &str = "seed 004: support conversations";

/// Where a conversation came from; kept in `custom_data.channel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SupportChannel {
    Web,
    Email,
    Api,
    Callback,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Requester {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

/// `pending` includes Baton's `snoozed`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SupportStatus {
    Open,
    Pending,
    Resolved,
    Closed,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SupportConversationOut {
    pub id: String,
    pub number: i64,
    #[schema(example = "Help with order #1234")]
    pub subject: Option<String>,
    pub status: SupportStatus,
    pub priority: Priority,
    pub channel: Option<SupportChannel>,
    pub metadata: Map<String, Value>,
    pub requester: Requester,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

fn out(row: &ConversationRow) -> SupportConversationOut {
    let mut metadata = row.custom_data.clone();
    let kept = metadata.remove("channel").and_then(|c| serde_json::from_value(c).ok());
    let channel = kept.or_else(|| match row.channel.as_ref().map(|c| c.kind.as_str()) {
        Some("widget") => Some(SupportChannel::Web),
        Some("email") => Some(SupportChannel::Email),
        Some("api") | None => Some(SupportChannel::Api),
        Some(_) => None,
    });
    let name = row.contact.name.as_deref();
    let (first_name, last_name) = match name.map(|n| n.split_once(' ').unwrap_or((n, ""))) {
        Some((first, last)) => (Some(first.to_owned()), Some(last.to_owned()).filter(|l| !l.is_empty())),
        None => (None, None),
    };
    SupportConversationOut {
        id: row.id.clone(),
        number: row.number,
        subject: row.title.clone(),
        status: match row.status {
            Status::Open => SupportStatus::Open,
            Status::Pending | Status::Snoozed => SupportStatus::Pending,
            Status::Resolved => SupportStatus::Resolved,
            Status::Closed => SupportStatus::Closed,
        },
        priority: row.priority,
        channel,
        metadata,
        requester: Requester { email: row.contact.email.clone(), first_name, last_name },
        created_at: Timestamp(row.created_at),
        updated_at: Timestamp(row.updated_at),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupportConversationIn {
    #[schema(max_length = 500, example = "Help with order #1234")]
    pub subject: String,
    /// The requester, looked up by email or created; left out, an anonymous requester.
    #[schema(format = Email)]
    pub user_email: Option<String>,
    /// The requester's first message.
    pub description: Option<String>,
    /// Used if the requester is created.
    pub user_first_name: Option<String>,
    pub user_last_name: Option<String>,
    pub priority: Option<Priority>,
    pub channel: Option<SupportChannel>,
    pub metadata: Option<Map<String, Value>>,
}

/// Create a conversation; the requester is looked up by email, or created.
#[utoipa::path(post, path = "/api/v1/conversations/create/", tag = TAG,
    request_body = SupportConversationIn, params(IdempotencyKey),
    responses((status = 201, description = "Created", body = SupportConversationOut),
        E<400>, E<401>, E<403>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn create(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Json(input): Json<SupportConversationIn>,
) -> ApiResult<(StatusCode, axum::Json<SupportConversationOut>)> {
    let mut check = Checker::new();
    let subject = check.text("subject", &input.subject, 500);
    let mut custom_data = input.metadata.unwrap_or_default();
    if custom_data.contains_key("channel") {
        check.fail("metadata.channel", "is where `channel` is kept: give it as `channel`");
    }
    check.finish()?;
    if let Some(channel) = input.channel {
        custom_data.insert("channel".into(), serde_json::to_value(channel).unwrap_or_default());
    }
    let name =
        [input.user_first_name, input.user_last_name].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let name = Some(name).filter(|n| !n.trim().is_empty());
    let contact = (input.user_email.is_some() || name.is_some()).then_some(ContactLookupIn {
        email: input.user_email,
        external_id: None,
        name,
        phone: None,
    });
    let message = input.description.map(|content| MessageIn {
        sender_type: Some(PostSender::Contact),
        content,
        source: custom_data.get("channel").and_then(Value::as_str).map(str::to_owned),
        ..MessageIn::default()
    });
    let conversation = ConversationIn {
        contact,
        title: Some(subject),
        priority: input.priority,
        custom_data: Some(custom_data),
        message,
        ..ConversationIn::default()
    };
    let row = create_conversation(&state, &caller, conversation).await.map_err(|e| {
        e.renamed(&[
            ("contact.email", "user_email"),
            ("contact.name", "user_first_name"),
            ("message.content", "description"),
            ("custom_data", "metadata"),
        ])
    })?;
    Ok((StatusCode::CREATED, axum::Json(out(&row))))
}

/// List parameters.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SupportListQuery {
    /// The requester's email.
    pub user_email: Option<String>,
    #[param(pattern = "^(open|pending|resolved|closed)$")]
    pub status: Option<String>,
    /// Page size, 1–100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<i64>,
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

impl FromQuery for SupportListQuery {
    fn from_query(q: &mut QueryMap) -> Result<Self, crate::error::ApiError> {
        let status = q.value("status")?;
        if status.as_deref().is_some_and(|s| !["open", "pending", "resolved", "closed"].contains(&s)) {
            return Err(bad_param("status", "must be open, pending, resolved or closed"));
        }
        Ok(SupportListQuery {
            user_email: q.string("user_email")?,
            status,
            limit: q.integer("limit", 1, 100)?,
            offset: q.integer("offset", 0, i64::MAX)?,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SupportConversationsOut {
    /// How many conversations match, over all pages.
    pub count: i64,
    pub results: Vec<SupportConversationOut>,
}

/// List the workspace's conversations, newest first.
#[utoipa::path(get, path = "/api/v1/conversations/", tag = TAG,
    params(SupportListQuery),
    responses((status = 200, description = "A page of conversations", body = SupportConversationsOut),
        E<400>, E<401>, E<403>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn list(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Query(query): Query<SupportListQuery>,
) -> ApiResult<axum::Json<SupportConversationsOut>> {
    let statuses = match query.status.as_deref() {
        Some("pending") => vec!["pending".into(), "snoozed".into()],
        Some(status) => vec![status.to_owned()],
        None => Vec::new(),
    };
    let filter = ConversationFilter {
        statuses,
        contact_email: query.user_email.map(|e| e.trim().to_lowercase()),
        sort: ConversationSort::CreatedAt,
        ..ConversationFilter::default()
    };
    let rows = state
        .store
        .list_conversations(
            &caller.workspace,
            &filter,
            &page_at(query.limit.unwrap_or(20), query.offset.unwrap_or(0), true, true),
        )
        .await?;
    let results = rows.items.iter().map(out).collect();
    Ok(axum::Json(SupportConversationsOut { count: rows.total.unwrap_or_default(), results }))
}

/// Get a conversation.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/", tag = TAG,
    params(("id" = String, Path, description = "The conversation's id")),
    responses((status = 200, description = "The conversation", body = SupportConversationOut),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn get_one(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<axum::Json<SupportConversationOut>> {
    Ok(axum::Json(out(&conversation(&state, &caller, &id).await?)))
}

/// Resolve a conversation (Baton's `resolved`: the requester writing again reopens it).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/resolve/", tag = TAG,
    params(("id" = String, Path, description = "The conversation's id"), IdempotencyKey),
    responses((status = 200, description = "Resolved", body = SupportConversationOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn resolve(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<axum::Json<SupportConversationOut>> {
    let row = change_conversation(&state, &caller, &id, |row, now| {
        Ok(row.set_status(Status::Resolved, None, now)?)
    })
    .await?;
    Ok(axum::Json(out(&row)))
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(list))
        .routes(routes!(get_one))
        .routes(routes!(resolve))
        .merge(messages::router())
        // The same, without the trailing slash.
        .route("/api/v1/conversations/create", post(create))
        .route("/api/v1/conversations", get(list))
        .route("/api/v1/conversations/{id}", get(get_one))
        .route("/api/v1/conversations/{id}/resolve", post(resolve))
}
