//! Seed 002's notes on a conversation and its tag palette (`/conversation-tags`): the native
//! handlers under the document's paths.

use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::http::AppState;
use crate::http::caller::WorkspaceCaller;
use crate::http::docs::{E, IdempotencyKey, IfMatchHeader};
use crate::http::extract::{Json, PathId, PathIds, Query};
use crate::http::list::{ListOut, PageQuery};
use crate::http::resources::notes::{self, NoteIn, NotePatch};
use crate::http::resources::tags::{self, ConversationTagsIn, ConversationTagsOut, TagIn, TagOut, TagPatch};
use crate::http::versioning::{IfMatch, WithEtag};
use crate::model::note::NoteOut;

const TAG: &str = "seed 002: chatbot conversations";

/// A conversation's internal notes, oldest first. Never shown to the visitor.
#[utoipa::path(get, path = "/chatbot/v1/conversations/{id}/notes", tag = TAG,
    params(("id" = String, Path, description = "The conversation's id"), PageQuery),
    responses((status = 200, description = "Notes", body = ListOut<NoteOut>), E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn list_notes(
    caller: WorkspaceCaller,
    state: State<AppState>,
    id: PathId,
    page: Query<PageQuery>,
) -> ApiResult<axum::Json<ListOut<NoteOut>>> {
    notes::list(caller, state, id, page).await
}

/// Add a note (`pinned` to keep it on top).
#[utoipa::path(post, path = "/chatbot/v1/conversations/{id}/notes", tag = TAG, request_body = NoteIn,
    params(("id" = String, Path, description = "The conversation's id"), IdempotencyKey),
    responses((status = 201, description = "Created", body = NoteOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn create_note(
    caller: WorkspaceCaller,
    state: State<AppState>,
    id: PathId,
    input: Json<NoteIn>,
) -> ApiResult<WithEtag<NoteOut>> {
    notes::create(caller, state, id, input).await
}

/// Edit or pin a note.
#[utoipa::path(patch, path = "/chatbot/v1/conversations/{id}/notes/{note_id}", tag = TAG, request_body = NotePatch,
    params(("id" = String, Path, description = "The conversation's id"), ("note_id" = String, Path, description = "The note's id"), IfMatchHeader),
    responses((status = 200, description = "Updated", body = NoteOut),
        E<400>, E<401>, E<403>, E<404>, E<412>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn update_note(
    caller: WorkspaceCaller,
    state: State<AppState>,
    ids: PathIds,
    if_match: IfMatch,
    patch: Json<NotePatch>,
) -> ApiResult<WithEtag<NoteOut>> {
    notes::update(caller, state, ids, if_match, patch).await
}

#[utoipa::path(delete, path = "/chatbot/v1/conversations/{id}/notes/{note_id}", tag = TAG,
    params(("id" = String, Path, description = "The conversation's id"), ("note_id" = String, Path, description = "The note's id")),
    responses((status = 204, description = "Deleted"), E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn delete_note(caller: WorkspaceCaller, state: State<AppState>, ids: PathIds) -> ApiResult<StatusCode> {
    notes::delete(caller, state, ids).await
}

/// The tags on a conversation.
#[utoipa::path(get, path = "/chatbot/v1/conversations/{id}/tags", tag = TAG,
    params(("id" = String, Path, description = "The conversation's id")),
    responses((status = 200, description = "The conversation's tags", body = ConversationTagsOut),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn get_tags(
    caller: WorkspaceCaller,
    state: State<AppState>,
    id: PathId,
) -> ApiResult<axum::Json<ConversationTagsOut>> {
    tags::get_conversation_tags(caller, state, id).await
}

/// Replace the conversation's tags with this set (names or tag ids from the palette; new
/// names join the palette).
#[utoipa::path(put, path = "/chatbot/v1/conversations/{id}/tags", tag = TAG, request_body = ConversationTagsIn,
    params(("id" = String, Path, description = "The conversation's id")),
    responses((status = 200, description = "The conversation's new tags", body = ConversationTagsOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn put_tags(
    caller: WorkspaceCaller,
    state: State<AppState>,
    id: PathId,
    input: Json<ConversationTagsIn>,
) -> ApiResult<axum::Json<ConversationTagsOut>> {
    tags::put_conversation_tags(caller, state, id, input).await
}

/// The workspace's tag palette.
#[utoipa::path(get, path = "/chatbot/v1/conversation-tags", tag = TAG, params(PageQuery),
    responses((status = 200, description = "The palette", body = ListOut<TagOut>), E<400>, E<401>, E<403>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn list_palette(
    caller: WorkspaceCaller,
    state: State<AppState>,
    page: Query<PageQuery>,
) -> ApiResult<axum::Json<ListOut<TagOut>>> {
    tags::list(caller, state, page).await
}

/// Add a tag to the palette (names are unique, case-insensitively).
#[utoipa::path(post, path = "/chatbot/v1/conversation-tags", tag = TAG, request_body = TagIn, params(IdempotencyKey),
    responses((status = 201, description = "Created", body = TagOut),
        E<400>, E<401>, E<403>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn create_palette_tag(
    caller: WorkspaceCaller,
    state: State<AppState>,
    input: Json<TagIn>,
) -> ApiResult<WithEtag<TagOut>> {
    tags::create(caller, state, input).await
}

/// Rename or recolour a tag; conversations show the new name.
#[utoipa::path(patch, path = "/chatbot/v1/conversation-tags/{id}", tag = TAG, request_body = TagPatch,
    params(("id" = String, Path, description = "The tag's id"), IfMatchHeader),
    responses((status = 200, description = "Updated", body = TagOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<412>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn update_palette_tag(
    caller: WorkspaceCaller,
    state: State<AppState>,
    id: PathId,
    if_match: IfMatch,
    patch: Json<TagPatch>,
) -> ApiResult<WithEtag<TagOut>> {
    tags::update(caller, state, id, if_match, patch).await
}

/// Delete a tag from the palette and from every conversation.
#[utoipa::path(delete, path = "/chatbot/v1/conversation-tags/{id}", tag = TAG,
    params(("id" = String, Path, description = "The tag's id")),
    responses((status = 204, description = "Deleted"), E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn delete_palette_tag(
    caller: WorkspaceCaller,
    state: State<AppState>,
    id: PathId,
) -> ApiResult<StatusCode> {
    tags::delete(caller, state, id).await
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notes, create_note))
        .routes(routes!(update_note, delete_note))
        .routes(routes!(get_tags, put_tags))
        .routes(routes!(list_palette, create_palette_tag))
        .routes(routes!(update_palette_tag, delete_palette_tag))
}
