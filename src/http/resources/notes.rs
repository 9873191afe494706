//! `/v1/conversations/{id}/notes`: internal notes, never shown to the contact.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::validate::Checker;
use crate::error::ApiResult;
use crate::http::AppState;
use crate::http::caller::WorkspaceCaller;
use crate::http::docs::{E, IdempotencyKey, IfMatchHeader};
use crate::http::extract::{Json, PathId, PathIds, Query};
use crate::http::list::{ListOut, PageQuery};
use crate::http::versioning::{IfMatch, Versioned, WithEtag};
use crate::ids;
use crate::model::note::NoteOut;
use crate::store::Entity;
use crate::store::{NewNote, StoreError};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteIn {
    #[schema(
        min_length = 1,
        pattern = r"\S",
        example = "Customer is a reseller; check the wholesale order."
    )]
    pub body: String,
    #[serde(default)]
    pub pinned: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotePatch {
    #[schema(min_length = 1, pattern = r"\S")]
    pub body: Option<String>,
    pub pinned: Option<bool>,
}

impl Versioned for NoteOut {
    fn version(&self) -> i64 {
        self.version
    }
}

#[utoipa::path(get, path = "/v1/conversations/{id}/notes", tag = "notes",
    params(("id" = String, Path, description = "The conversation's id"), PageQuery),
    responses((status = 200, description = "Notes, oldest first", body = ListOut<NoteOut>),
        E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
pub(crate) async fn list(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    Query(page): Query<PageQuery>,
) -> ApiResult<axum::Json<ListOut<NoteOut>>> {
    let ws = &caller.workspace;
    state.store.get_conversation(ws, &id).await?.ok_or(StoreError::NotFound(Entity::Conversation))?;
    let rows = state.store.list_notes(ws, &id, &page.request(false)?).await?;
    Ok(axum::Json(ListOut::from_page(rows, |n| NoteOut::from(&n))))
}

#[utoipa::path(post, path = "/v1/conversations/{id}/notes", tag = "notes", request_body = NoteIn,
    params(("id" = String, Path, description = "The conversation's id"), IdempotencyKey),
    responses((status = 201, description = "Created", body = NoteOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
pub(crate) async fn create(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
    Json(input): Json<NoteIn>,
) -> ApiResult<WithEtag<NoteOut>> {
    let mut check = Checker::new();
    let body = check.text("body", &input.body, 20_000);
    check.finish()?;
    // A member's note is theirs; an integration's (a server key) has no author.
    let author_id = caller.member.as_ref().map(|member| member.id.clone());
    let note = NewNote { author_id, body, pinned: input.pinned };
    let now = state.clock.now_ms();
    let row = state
        .store
        .create_note(&caller.workspace, &id, &ids::new_id("note"), &note, &caller.actor(), now)
        .await?;
    Ok(WithEtag(StatusCode::CREATED, NoteOut::from(&row)))
}

#[utoipa::path(patch, path = "/v1/conversations/{id}/notes/{note_id}", tag = "notes", request_body = NotePatch,
    params(("id" = String, Path, description = "The conversation's id"), ("note_id" = String, Path, description = "The note's id"), IfMatchHeader),
    responses((status = 200, description = "Updated", body = NoteOut),
        E<400>, E<401>, E<403>, E<404>, E<412>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
pub(crate) async fn update(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathIds(id, note_id): PathIds,
    if_match: IfMatch,
    Json(patch): Json<NotePatch>,
) -> ApiResult<WithEtag<NoteOut>> {
    let mut check = Checker::new();
    let body = check.optional_text("body", patch.body, 20_000);
    check.finish()?;
    let now = state.clock.now_ms();
    let row = state
        .store
        .update_note(&caller.workspace, (&id, &note_id), if_match.0, &caller.actor(), now, |note| {
            let before = note.clone();
            note.body = body.unwrap_or(before.body.clone());
            note.pinned = patch.pinned.unwrap_or(before.pinned);
            *note != before
        })
        .await?;
    Ok(WithEtag(StatusCode::OK, NoteOut::from(&row)))
}

#[utoipa::path(delete, path = "/v1/conversations/{id}/notes/{note_id}", tag = "notes",
    params(("id" = String, Path, description = "The conversation's id"), ("note_id" = String, Path, description = "The note's id")),
    responses((status = 204, description = "Deleted"), E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
pub(crate) async fn delete(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathIds(id, note_id): PathIds,
) -> ApiResult<StatusCode> {
    state.store.delete_note(&caller.workspace, &id, &note_id, &caller.actor(), state.clock.now_ms()).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).routes(routes!(update, delete))
}
