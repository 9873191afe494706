//! `/v1/knowledge`: the help-centre articles the AI answers from, and searching them.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::clock::Timestamp;
use crate::domain::validate::Checker;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::AppState;
use crate::http::caller::{Manager, WorkspaceCaller};
use crate::http::docs::{E, IdempotencyKey, IfMatchHeader};
use crate::http::extract::{FromQuery, Json, PathId, Query, QueryMap, bad_param};
use crate::http::list::{ListOut, PageQuery};
use crate::http::versioning::{IfMatch, Patch, Versioned, WithEtag, update_optimistically};
use crate::ids;
use crate::store::{ArticleRow, FoundPassage, NewArticle};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleIn {
    /// The agent that may use it; every agent of the workspace when left out.
    pub agent_id: Option<String>,
    #[schema(min_length = 1, pattern = r"\S", example = "Returning an item")]
    pub title: String,
    /// Plain text; blank lines separate paragraphs.
    #[schema(
        min_length = 1,
        pattern = r"\S",
        example = "You can return most items within 30 days of delivery for a full refund."
    )]
    pub body: String,
    #[schema(example = "https://help.example.com/returns")]
    pub url: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticlePatch {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub agent_id: Patch<String>,
    #[schema(min_length = 1, pattern = r"\S")]
    pub title: Option<String>,
    #[schema(min_length = 1, pattern = r"\S")]
    pub body: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub url: Patch<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleOut {
    #[schema(value_type = String, example = "knowledge_article")]
    pub object: &'static str,
    #[schema(example = "kb_01JX3Q8ZK4V1M2N3P4Q5R6S7T8")]
    pub id: String,
    pub agent_id: Option<String>,
    pub title: String,
    pub body: String,
    pub url: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

impl ArticleOut {
    fn from_row(row: ArticleRow) -> Self {
        ArticleOut {
            object: "knowledge_article",
            id: row.id,
            agent_id: row.fields.agent_id,
            title: row.fields.title,
            body: row.fields.body,
            url: row.fields.url,
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
            version: row.version,
        }
    }
}

impl Versioned for ArticleOut {
    fn version(&self) -> i64 {
        self.version
    }
}

/// A passage of an article, as search ranks it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PassageOut {
    #[schema(value_type = String, example = "knowledge_passage")]
    pub object: &'static str,
    pub article_id: String,
    /// The article's title.
    pub title: String,
    pub url: Option<String>,
    pub text: String,
    /// The passage's place in its article, from 0.
    pub position: i64,
    /// How much of the question the passage covers, from 0 to 1.
    #[schema(example = 0.82)]
    pub score: f64,
}

impl PassageOut {
    pub fn from_found(found: FoundPassage) -> Self {
        PassageOut {
            object: "knowledge_passage",
            article_id: found.article_id,
            title: found.title,
            url: found.url,
            text: found.text,
            position: found.position,
            score: (found.score * 1000.0).round() / 1000.0,
        }
    }
}

/// Article filters.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArticleQuery {
    /// Only the articles of this agent.
    pub agent_id: Option<String>,
}

impl FromQuery for ArticleQuery {
    fn from_query(q: &mut QueryMap) -> Result<Self, ApiError> {
        Ok(ArticleQuery { agent_id: q.string("agent_id")? })
    }
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// The question, in the customer's words (at most 1,000 characters).
    pub q: String,
    /// Search what this agent may use (its articles and the shared ones); all when left out.
    pub agent_id: Option<String>,
    /// Passages to return.
    #[param(minimum = 1, maximum = 20, default = 5)]
    pub limit: Option<u32>,
}

impl FromQuery for SearchQuery {
    fn from_query(q: &mut QueryMap) -> Result<Self, ApiError> {
        let question = q.string("q")?.ok_or_else(|| bad_param("q", "is required"))?;
        if question.chars().count() > 1_000 {
            return Err(bad_param("q", "must be at most 1000 characters"));
        }
        Ok(SearchQuery {
            q: question,
            agent_id: q.string("agent_id")?,
            limit: q.integer("limit", 1, 20)?.map(|n| n as u32),
        })
    }
}

/// The passages of a search, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchOut {
    #[schema(value_type = String, example = "list")]
    pub object: &'static str,
    pub data: Vec<PassageOut>,
}

fn checked(article: NewArticle) -> ApiResult<NewArticle> {
    let mut check = Checker::new();
    let out = NewArticle {
        agent_id: article.agent_id,
        title: check.text("title", &article.title, 300),
        body: check.text("body", &article.body, 100_000),
        url: article.url.map(|url| check.url("url", &url)),
    };
    check.finish()?;
    Ok(out)
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(ErrorCode::ArticleNotFound, format!("No knowledge article {id} in this workspace"))
}

#[utoipa::path(post, path = "/v1/knowledge/articles", tag = "knowledge", request_body = ArticleIn, params(IdempotencyKey),
    responses((status = 201, description = "Created", body = ArticleOut),
        E<400>, E<401>, E<403>, E<409>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn create(
    caller: Manager,
    State(state): State<AppState>,
    Json(input): Json<ArticleIn>,
) -> ApiResult<WithEtag<ArticleOut>> {
    let fields = checked(NewArticle {
        agent_id: input.agent_id,
        title: input.title,
        body: input.body,
        url: input.url,
    })?;
    let row = state
        .store
        .create_article(&caller.workspace, &ids::new_id("kb"), &fields, state.clock.now_ms())
        .await?;
    Ok(WithEtag(StatusCode::CREATED, ArticleOut::from_row(row)))
}

/// Articles, oldest first.
#[utoipa::path(get, path = "/v1/knowledge/articles", tag = "knowledge", params(PageQuery, ArticleQuery),
    responses((status = 200, description = "The articles", body = ListOut<ArticleOut>), E<400>, E<401>, E<403>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn list(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Query((page, query)): Query<(PageQuery, ArticleQuery)>,
) -> ApiResult<axum::Json<ListOut<ArticleOut>>> {
    let page = page.request(false)?;
    let rows = state.store.list_articles(&caller.workspace, query.agent_id.as_deref(), &page).await?;
    Ok(axum::Json(ListOut::from_page(rows, ArticleOut::from_row)))
}

#[utoipa::path(get, path = "/v1/knowledge/articles/{id}", tag = "knowledge",
    params(("id" = String, Path, description = "The article's id")),
    responses((status = 200, description = "The article", body = ArticleOut), E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn get(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    PathId(id): PathId,
) -> ApiResult<WithEtag<ArticleOut>> {
    let row = state.store.get_article(&caller.workspace, &id).await?.ok_or_else(|| not_found(&id))?;
    Ok(WithEtag(StatusCode::OK, ArticleOut::from_row(row)))
}

#[utoipa::path(patch, path = "/v1/knowledge/articles/{id}", tag = "knowledge", request_body = ArticlePatch,
    params(("id" = String, Path, description = "The article's id"), IfMatchHeader),
    responses((status = 200, description = "Updated", body = ArticleOut),
        E<400>, E<401>, E<403>, E<404>, E<409>, E<412>, E<413>, E<415>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn update(
    caller: Manager,
    State(state): State<AppState>,
    PathId(id): PathId,
    if_match: IfMatch,
    Json(patch): Json<ArticlePatch>,
) -> ApiResult<WithEtag<ArticleOut>> {
    let (store, ws) = (&state.store, &caller.workspace);
    let row = update_optimistically(
        &if_match,
        |row: &ArticleRow| row.version,
        || async { store.get_article(ws, &id).await?.ok_or_else(|| not_found(&id)) },
        |current| {
            let now = state.clock.now_ms();
            let (id, patch) = (&id, &patch);
            async move {
                let was = current.fields;
                let fields = checked(NewArticle {
                    agent_id: patch.agent_id.clone().apply(was.agent_id),
                    title: patch.title.clone().unwrap_or(was.title),
                    body: patch.body.clone().unwrap_or(was.body),
                    url: patch.url.clone().apply(was.url),
                })?;
                Ok(store.update_article(ws, id, &fields, current.version, now).await?)
            }
        },
    )
    .await?;
    Ok(WithEtag(StatusCode::OK, ArticleOut::from_row(row)))
}

#[utoipa::path(delete, path = "/v1/knowledge/articles/{id}", tag = "knowledge",
    params(("id" = String, Path, description = "The article's id")),
    responses((status = 204, description = "Deleted"), E<400>, E<401>, E<403>, E<404>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn delete(caller: Manager, State(state): State<AppState>, PathId(id): PathId) -> ApiResult<StatusCode> {
    if state.store.delete_article(&caller.workspace, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found(&id))
    }
}

/// The passages that answer a question best, ranked, each with how much of the question it
/// covers. What the builtin responder answers from.
#[utoipa::path(get, path = "/v1/knowledge/search", tag = "knowledge", params(SearchQuery),
    responses((status = 200, description = "Ranked passages", body = SearchOut), E<400>, E<401>, E<403>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn search(
    caller: WorkspaceCaller,
    State(state): State<AppState>,
    Query(query): Query<SearchQuery>,
) -> ApiResult<axum::Json<SearchOut>> {
    let limit = query.limit.unwrap_or(5);
    let vector = state.semantic.vector(&query.q).await;
    let found = state
        .store
        .search_knowledge(
            &caller.workspace,
            query.agent_id.as_deref(),
            &query.q,
            vector.as_deref(),
            limit as usize,
        )
        .await?;
    Ok(axum::Json(SearchOut {
        object: "list",
        data: found.into_iter().map(PassageOut::from_found).collect(),
    }))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get, update, delete))
        .routes(routes!(search))
}
