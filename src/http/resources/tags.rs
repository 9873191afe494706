//! `/v1/tags` (the workspace's palette) and `/v1/conversations/{id}/tags`.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::clock::Timestamp;
use crate::domain::validate::Checker;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::AppState;
use crate::http::caller::WorkspaceCaller;
use crate::http::docs::{E, IdempotencyKey, IfMatchHeader};
use crate::http::extract::{Json, PathId, Query};
use crate::http::list::{ListOut, PageQuery};
use crate::http::versioning::{IfMatch, Patch, Versioned, WithEtag, update_optimistically};
use crate::ids;
use crate::store::Entity;
use crate::store::{NewTag, StoreError, TagRow};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagIn {
    #[schema(min_length = 1, pattern = r"\S", example = "refund")]
    pub name: String,
    /// `#rrggbb`; grey when omitted.
    #[schema(example = "#e3342f")]
    pub color: Option<String>,
    #[schema(min_length = 1, pattern = r"\S")]
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagPatch {
    #[schema(min_length = 1, pattern = r"\S")]
    pub name: Option<String>,
    pub color: Option<String>,
    #[serde(default)]
    #[schema(min_length = 1, pattern = r"\S", value_type = Option<String>)]
    pub description: Patch<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TagOut {
    #[schema(value_type = String, example = "tag")]
    pub object: &'static str,
    #[schema(example = "tag_01JX3Q8ZK4V1M2N3P4Q5R6S7T8")]
    pub id: String,
    pub name: String,
    pub color: String,
    pub description: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

impl TagOut {
    fn from_row(row: TagRow) -> Self {
        TagOut {
            object: "tag",
            id: row.id,
            name: row.fields.name,
            color: row.fields.color,
            description: row.fields.description,
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
            version: row.version,
        }
    }
}

impl Versioned for TagOut {
    fn version(&self) -> i64 {
        self.version
    }
}

/// The set of tags to put on a conversation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationTagsIn {
    /// Tag names (added to the palette when new) or tag ids. Replaces the current set.
    #[schema(example = json!(["refund", "vip"]))]
    pub tags: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationTagsOut {
    #[schema(value_type = String, example = "list")]
    pub object: &'static str,
    /// The palette's tags on the conversation, by name.
    pub data: Vec<TagOut>,
}

fn checked(check: &mut Checker, name: &str, color: &str, description: Option<String>) -> NewTag {
    let name = check.text("name", name, 64);
    if name.contains(',') {
        check.fail("name", "must not contain commas (filters use them to separate tags)");
    }
    NewTag {
        name,
        color: check.color("color", color),
        description: check.optional_text("description", description, 500),
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(ErrorCode::TagNotFound, format!("No tag {id} in this workspace"))
}

/// Add a tag to the palette. Names are unique, case-insensitively.
#[utoipa::path(post, path = "/v1/tags", tag = "tags", request_body = TagIn, params(IdempotencyKey),
    responses((status = 201, description = "Created", body = TagOut),
        E<400>, E<401>, E<403>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
pub(crate) async fn create(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Json(input): Json<TagIn>,
) -> ApiResult<WithEtag<TagOut>> {
    let mut check = Checker::new();
    let color = input.color.unwrap_or_else(|| crate::store::DEFAULT_TAG_COLOR.to_owned());
    let tag = checked(&mut check, &input.name, &color, input.description);
    check.finish()?;
    let row =
        state.store.create_tag(&caller.workspace, &ids::new_id("tag"), &tag, state.clock.now_ms()).await?;
    Ok(WithEtag(StatusCode::CREATED, TagOut::from_row(row)))
}

#[utoipa::path(get, path = "/v1/tags", tag = "tags", params(PageQuery),
    responses((status = 200, description = "The palette", body = ListOut<TagOut>), E<400>, E<401>, E<403>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
pub(crate) async fn list(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Query(page): Query<PageQuery>,
) -> ApiResult<axum::Json<ListOut<TagOut>>> {
    let rows = state.store.list_tags(&caller.workspace, &page.request(false)?).await?;
    Ok(axum::Json(ListOut::from_page(rows, TagOut::from_row)))
}

/// Rename or recolour a tag; conversations show the new name.
#[utoipa::path(patch, path = "/v1/tags/{id}", tag = "tags", request_body = TagPatch,
    params(("id" = String, Path, description = "The tag's id"), IfMatchHeader),
    responses((status = 200, description = "Updated", body = TagOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<412>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
pub(crate) async fn update(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    if_match: IfMatch,
    Json(patch): Json<TagPatch>,
) -> ApiResult<WithEtag<TagOut>> {
    let (store, ws, actor) = (&state.store, &caller.workspace, caller.actor());
    let row = update_optimistically(
        &if_match,
        |row: &TagRow| row.version,
        || async { store.get_tag(ws, &id).await?.ok_or_else(|| not_found(&id)) },
        |current| {
            let now = state.clock.now_ms();
            let (id, patch, actor) = (&id, &patch, &actor);
            async move {
                let mut check = Checker::new();
                let name = patch.name.clone().unwrap_or(current.fields.name);
                let color = patch.color.clone().unwrap_or(current.fields.color);
                let tag = checked(
                    &mut check,
                    &name,
                    &color,
                    patch.description.clone().apply(current.fields.description),
                );
                check.finish()?;
                Ok(store.update_tag(ws, id, &tag, actor, current.version, now).await?)
            }
        },
    )
    .await?;
    Ok(WithEtag(StatusCode::OK, TagOut::from_row(row)))
}

/// Delete a tag from the palette and from every conversation.
#[utoipa::path(delete, path = "/v1/tags/{id}", tag = "tags",
    params(("id" = String, Path, description = "The tag's id")),
    responses((status = 204, description = "Deleted"), E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
pub(crate) async fn delete(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    if state.store.delete_tag(&caller.workspace, &id, &caller.actor(), state.clock.now_ms()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(&id))
    }
}

#[utoipa::path(get, path = "/v1/conversations/{id}/tags", tag = "conversations",
    params(("id" = String, Path, description = "The conversation's id")),
    responses((status = 200, description = "The conversation's tags", body = ConversationTagsOut),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
pub(crate) async fn get_conversation_tags(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<axum::Json<ConversationTagsOut>> {
    state
        .store
        .get_conversation(&caller.workspace, &id)
        .await?
        .ok_or(StoreError::NotFound(Entity::Conversation))?;
    conversation_tags(&state, &caller, &id).await
}

/// The tags on conversation `id` (known to exist), as objects.
async fn conversation_tags(
    state: &AppState,
    caller: &WorkspaceCaller,
    id: &str,
) -> ApiResult<axum::Json<ConversationTagsOut>> {
    let rows = state.store.conversation_tags(&caller.workspace, id).await?;
    Ok(axum::Json(ConversationTagsOut {
        object: "list",
        data: rows.into_iter().map(TagOut::from_row).collect(),
    }))
}

/// Replace a conversation's tags.
#[utoipa::path(put, path = "/v1/conversations/{id}/tags", tag = "conversations", request_body = ConversationTagsIn,
    params(("id" = String, Path, description = "The conversation's id")),
    responses((status = 200, description = "The conversation's new tags", body = ConversationTagsOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
pub(crate) async fn put_conversation_tags(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    Json(input): Json<ConversationTagsIn>,
) -> ApiResult<axum::Json<ConversationTagsOut>> {
    let wanted = &input.tags;
    let mut check = Checker::new();
    if wanted.len() > 50 {
        check.fail("tags", "must have at most 50 items");
    }
    let tags: Vec<String> =
        wanted.iter().enumerate().map(|(i, t)| check.text(&format!("tags[{i}]"), t, 64)).collect();
    if tags.iter().any(|t| t.contains(',')) {
        check.fail("tags", "names must not contain commas");
    }
    check.finish()?;
    let now = state.clock.now_ms();
    state.store.set_conversation_tags(&caller.workspace, &id, &tags, &caller.actor(), now).await?;
    conversation_tags(&state, &caller, &id).await
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(update, delete))
        .routes(routes!(get_conversation_tags, put_conversation_tags))
}
