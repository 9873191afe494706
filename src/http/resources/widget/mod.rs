//! `/v1/widget`: what a website's chat widget calls for its visitors.
//!
//! A client key (public, in the page) opens a session for a visitor and gets a contact token;
//! the token reaches only that contact's conversations, in the visitor's view (`view`).
//!
//! An `external_id` is only a claim: anyone can type anyone's id into a page's script. With
//! identity verification on, a session naming one must prove it with `user_hash`, the
//! HMAC-SHA256 of the id under the workspace's identity secret, computed by the site's
//! backend; only a proven id (or a server key, which the site's backend holds) reaches the
//! contact with that id. Otherwise the visitor gets a contact of their own, marked
//! unverified (`custom_attributes.unverified_external_id`), and never anyone else's data.

mod config;
mod conversations;
mod shown;
mod stream;
pub mod view;

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::audit;
use crate::auth::{generate_contact_token, generate_identity_secret, verify_user_hash};
use crate::clock::Timestamp;
use crate::domain::validate::Checker;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::http::AppState;
use crate::http::caller::{Manager, WidgetKey};
use crate::http::client_ip::ClientIp;
use crate::http::docs::{E, IdempotencyKey};
use crate::http::extract::Json;
use crate::ids;
use crate::store::{Actor, ContactFilter, ContactRow, NewContact, PageRequest, StoreError, WorkspaceId};
use crate::store::{Entity, NewContactToken, UniqueKey};

/// How long a visitor's session lasts.
const SESSION_MS: i64 = 30 * 24 * 3_600_000;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionIn {
    /// Your id for a signed-in user; the same id comes back to the same contact.
    #[schema(min_length = 1, pattern = r"\S")]
    pub external_id: Option<String>,
    /// Hex HMAC-SHA256 of `external_id` under the identity secret (required when identity
    /// verification is on).
    pub user_hash: Option<String>,
    #[schema(min_length = 1, pattern = r"\S")]
    pub name: Option<String>,
    pub email: Option<String>,
}

/// The visitor as the widget knows them.
#[derive(Debug, Serialize, ToSchema)]
pub struct VisitorContact {
    #[schema(value_type = String, example = "contact")]
    pub object: &'static str,
    pub id: String,
    pub external_id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    /// Whether `external_id` was proven (a valid `user_hash`, or a server key): only then is
    /// this the contact with that id. Unproven, the id is kept as the visitor's claim.
    pub identity_verified: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionOut {
    #[schema(value_type = String, example = "widget_session")]
    pub object: &'static str,
    pub contact: VisitorContact,
    /// `bt_ct_…`: send it as `Authorization: Bearer` to the other widget endpoints. Shown once.
    pub contact_token: String,
    pub expires_at: Timestamp,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IdentitySecretOut {
    #[schema(value_type = String, example = "identity_secret")]
    pub object: &'static str,
    /// Compute `user_hash` with it on your backend; never put it in a web page.
    pub identity_secret: String,
}

/// Start a visitor session: the contact and a contact token. A proven `external_id` (a valid
/// `user_hash`, or a server key) finds its contact; anything else gets a new contact of the
/// visitor's own, marked unverified. A key opens at most `--widget-sessions-per-minute`
/// sessions a minute from one address (429 beyond).
#[utoipa::path(post, path = "/v1/widget/sessions", tag = "widget", request_body = SessionIn, params(IdempotencyKey),
    responses((status = 201, description = "A session", body = SessionOut),
        E<400>, E<401>, E<403>, E<409>, E<413>, E<415>, E<422>, E<429>, E<500>, E<503>),
    security(("client_key" = []), ("server_key" = [])))]
async fn create_session(
    key: WidgetKey,
    State(state): State<AppState>,
    ip: ClientIp,
    Json(input): Json<SessionIn>,
) -> ApiResult<(StatusCode, axum::Json<SessionOut>)> {
    let mut check = Checker::new();
    let external_id = check.optional_text("external_id", input.external_id, 255);
    let name = check.optional_text("name", input.name, 255);
    let email = input.email.map(|e| check.email("email", &e));
    if input.user_hash.is_some() && external_id.is_none() {
        check.fail("user_hash", "verifies an external_id; send one");
    }
    check.finish()?;
    state.visitors.admit_session(&key.key_id, &ip.key(), state.clock.now_ms())?;
    let ws = &key.workspace;
    let secret = state.store.identity_secret(ws).await?;
    // A server key is the site's backend: what it names is proven.
    let proven = external_id.is_some()
        && (key.server
            || matches!((&secret, &external_id, input.user_hash.as_deref()),
                (Some(secret), Some(id), Some(hash)) if verify_user_hash(secret, id, hash)));
    if external_id.is_some() && !proven && secret.is_some() {
        return Err(ApiError::new(
            ErrorCode::IdentityNotVerified,
            "Identity verification is on: user_hash must be the hex HMAC-SHA256 of external_id under the \
             workspace's identity secret",
        ));
    }
    let now = state.clock.now_ms();
    let claimed = external_id.clone();
    let mut fields = NewContact { name, ..NewContact::default() };
    // An email typed into a page is a claim too: kept where the inbox shows it, never where a
    // lookup by email (an integration creating a conversation for that customer) would find
    // this visitor's contact. The site's backend (a server key) is believed.
    match (key.server, &email) {
        (true, _) => fields.email = email.clone(),
        (false, Some(typed)) => {
            fields.custom_attributes.insert(WIDGET_EMAIL.into(), Value::from(typed.clone()));
        }
        (false, None) => {}
    }
    match (proven, external_id) {
        (true, external_id) => fields.external_id = external_id,
        // Kept as the visitor's claim, shown as unverified; it finds nobody.
        (false, Some(claimed)) => {
            fields.custom_attributes.insert(UNVERIFIED_EXTERNAL_ID.into(), Value::from(claimed));
        }
        (false, None) => {}
    }
    let contact = visitor_contact(&state, ws, fields, now).await?;
    let (secret, hash) = generate_contact_token();
    let expires_at = now + SESSION_MS;
    let channel = state.store.api_key_channel(ws, &key.key_id).await?;
    let token = NewContactToken {
        id: &ids::new_id("ctk"),
        contact_id: &contact.id,
        channel_id: channel.as_deref(),
        secret_hash: &hash,
        expires_at,
    };
    state.store.create_contact_token(ws, &token, now).await?;
    let f = contact.fields;
    let contact = VisitorContact {
        object: "contact",
        id: contact.id,
        external_id: f.external_id.or(claimed),
        name: f.name,
        email: f.email.or(email),
        identity_verified: proven,
    };
    let out = SessionOut {
        object: "widget_session",
        contact,
        contact_token: secret,
        expires_at: Timestamp(expires_at),
    };
    Ok((StatusCode::CREATED, axum::Json(out)))
}

/// Where an unproven `external_id` is kept on the visitor's own contact.
pub const UNVERIFIED_EXTERNAL_ID: &str = "unverified_external_id";
/// Where an email the visitor typed is kept on their contact.
pub const WIDGET_EMAIL: &str = "widget_email";

/// The contact a session is for: the one with `fields.external_id` (proven by the caller), or
/// a new one. A server key's email that another contact has already is kept as
/// `custom_attributes.widget_email`.
async fn visitor_contact(
    state: &AppState,
    ws: &WorkspaceId,
    fields: NewContact,
    now: i64,
) -> ApiResult<ContactRow> {
    if let Some(external_id) = &fields.external_id
        && let Some(found) = find_by_external_id(state, ws, external_id).await?
    {
        return Ok(found);
    }
    let actor = Actor::system();
    match state.store.create_contact(ws, &ids::new_id("ct"), &fields, &actor, now).await {
        Ok(row) => Ok(row),
        // Another session created it meanwhile.
        Err(StoreError::Conflict(UniqueKey::ContactExternalId)) => {
            let id = fields.external_id.unwrap_or_default();
            Ok(find_by_external_id(state, ws, &id).await?.ok_or(StoreError::NotFound(Entity::Contact))?)
        }
        Err(StoreError::Conflict(UniqueKey::ContactEmail)) => {
            let mut attributes = fields.custom_attributes.clone();
            attributes.insert(WIDGET_EMAIL.into(), Value::from(fields.email.clone()));
            let fields = NewContact { email: None, custom_attributes: attributes, ..fields };
            Ok(state.store.create_contact(ws, &ids::new_id("ct"), &fields, &actor, now).await?)
        }
        Err(error) => Err(error.into()),
    }
}

async fn find_by_external_id(
    state: &AppState,
    ws: &WorkspaceId,
    external_id: &str,
) -> ApiResult<Option<ContactRow>> {
    let filter = ContactFilter { external_id: Some(external_id.to_owned()), ..ContactFilter::default() };
    let page = PageRequest { limit: 1, after: None, offset: None, include_total: false, descending: false };
    Ok(state.store.list_contacts(ws, &filter, &page).await?.items.into_iter().next())
}

/// Turn identity verification on (or change its secret): from now on a session naming an
/// `external_id` must carry its `user_hash`.
#[utoipa::path(post, path = "/v1/widget/identity-secret", tag = "widget", params(IdempotencyKey),
    responses((status = 201, description = "The new secret, shown once", body = IdentitySecretOut),
        E<400>, E<401>, E<403>, E<409>, E<422>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn rotate_identity_secret(
    caller: Manager,
    State(state): State<AppState>,
    ip: ClientIp,
) -> ApiResult<(StatusCode, axum::Json<IdentitySecretOut>)> {
    let secret = generate_identity_secret();
    state.store.set_identity_secret(&caller.workspace, Some(&secret), state.clock.now_ms()).await?;
    let target = Some(("workspace", caller.workspace.as_str()));
    audit::by_caller(&state, &caller, ip, "identity_secret.set", target, json!({})).await;
    Ok((
        StatusCode::CREATED,
        axum::Json(IdentitySecretOut { object: "identity_secret", identity_secret: secret }),
    ))
}

/// Turn identity verification off.
#[utoipa::path(delete, path = "/v1/widget/identity-secret", tag = "widget",
    responses((status = 204, description = "Off"), E<401>, E<403>, E<500>, E<503>),
    security(("server_key" = []), ("member_token" = [])))]
async fn delete_identity_secret(
    caller: Manager,
    State(state): State<AppState>,
    ip: ClientIp,
) -> ApiResult<StatusCode> {
    state.store.set_identity_secret(&caller.workspace, None, state.clock.now_ms()).await?;
    let target = Some(("workspace", caller.workspace.as_str()));
    audit::by_caller(&state, &caller, ip, "identity_secret.removed", target, json!({})).await;
    Ok(StatusCode::NO_CONTENT)
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_session))
        .routes(routes!(rotate_identity_secret, delete_identity_secret))
        .merge(config::router())
        .merge(conversations::router())
        .merge(stream::router())
}
