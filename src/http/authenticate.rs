//! Resolving a presented bearer token (admin key, server or client key, member or contact
//! token) to the [`Caller`] the route extractors check.

use subtle::ConstantTimeEq;

use crate::auth::{
    ADMIN_PREFIX, CLIENT_PREFIX, CONTACT_PREFIX, KeyKind, MEMBER_PREFIX, Role, SERVER_PREFIX, hash_secret,
};
use crate::error::{ApiError, ErrorCode};
use crate::store::{Store, WorkspaceId};

/// Refresh `last_used_at` at most this often, to keep writes off the hot path.
const TOUCH_EVERY_MS: i64 = 60_000;

/// Who is calling, as established from the `Authorization` header.
#[derive(Debug, Clone)]
pub enum Caller {
    Admin,
    Key {
        workspace: WorkspaceId,
        key_id: String,
        kind: KeyKind,
    },
    /// A signed-in member, through one of their tokens.
    Member {
        workspace: WorkspaceId,
        token_id: String,
        member_id: String,
        role: Role,
    },
    /// A visitor of the widget, through the token their session issued.
    Contact {
        workspace: WorkspaceId,
        contact_id: String,
        /// The channel of the key that opened the session, if it named one.
        channel_id: Option<String>,
    },
}

impl Caller {
    /// Whose idempotency records a request reads and writes: each credential's own, inside
    /// its workspace — a stored answer (a new key's secret, a visitor's token) is replayed
    /// only to the caller who made it, never to another holding the same key string.
    pub fn scope(&self) -> String {
        match self {
            Caller::Admin => "admin".to_owned(),
            Caller::Key { workspace, key_id, .. } => format!("{workspace}/{key_id}"),
            Caller::Member { workspace, member_id, .. } => format!("{workspace}/{member_id}"),
            Caller::Contact { workspace, contact_id, .. } => format!("{workspace}/{contact_id}"),
        }
    }
}

/// Resolves the bearer token to a caller. `admin_hash` is the hash of the configured admin
/// key, if any.
pub async fn authenticate_token(
    store: &Store,
    admin_hash: Option<&str>,
    token: &str,
    now: i64,
) -> Result<Caller, ApiError> {
    let invalid = || ApiError::new(ErrorCode::InvalidApiKey, "The API key is not valid or was revoked");
    let presented = hash_secret(token);
    if token.starts_with(ADMIN_PREFIX) {
        let expected = admin_hash.ok_or_else(invalid)?;
        return if bool::from(presented.as_bytes().ct_eq(expected.as_bytes())) {
            Ok(Caller::Admin)
        } else {
            Err(invalid())
        };
    }
    if token.starts_with(MEMBER_PREFIX) {
        return authenticate_member(store, &presented, now).await;
    }
    if token.starts_with(CONTACT_PREFIX) {
        let invalid = || ApiError::new(ErrorCode::InvalidApiKey, "The contact token is not valid or expired");
        let found =
            store.find_contact_token(&presented).await.map_err(ApiError::from)?.ok_or_else(invalid)?;
        if !bool::from(found.secret_hash.as_bytes().ct_eq(presented.as_bytes())) || found.expires_at <= now {
            return Err(invalid());
        }
        let (workspace, contact_id, channel_id) = (found.workspace_id, found.contact_id, found.channel_id);
        return Ok(Caller::Contact { workspace, contact_id, channel_id });
    }
    if !token.starts_with(SERVER_PREFIX) && !token.starts_with(CLIENT_PREFIX) {
        return Err(invalid());
    }
    let found = store.find_key_by_hash(&presented).await.map_err(ApiError::from)?;
    let found = found.ok_or_else(invalid)?;
    if !bool::from(found.secret_hash.as_bytes().ct_eq(presented.as_bytes())) {
        return Err(invalid());
    }
    let kind = KeyKind::parse(&found.kind).ok_or_else(invalid)?;
    if due(found.last_used_at, now) {
        store.key_used(&presented, now);
        let (store, ws, id) = (store.clone(), found.workspace_id.clone(), found.key_id.clone());
        record_use(id.clone(), async move { store.touch_api_key(&ws, &id, now).await });
    }
    Ok(Caller::Key { workspace: found.workspace_id, key_id: found.key_id, kind })
}

/// Whether a key's `last_used_at` is old enough to refresh.
fn due(last_used_at: Option<i64>, now: i64) -> bool {
    last_used_at.is_none_or(|at| at < now - TOUCH_EVERY_MS)
}

/// Refreshes `last_used_at` off the request's path; a failure is only worth a warning.
fn record_use(
    id: String,
    touch: impl Future<Output = Result<(), crate::store::StoreError>> + Send + 'static,
) {
    tokio::spawn(async move {
        if let Err(error) = touch.await {
            tracing::warn!(key.id = %id, ?error, "could not record a key's use");
        }
    });
}

async fn authenticate_member(store: &Store, presented: &str, now: i64) -> Result<Caller, ApiError> {
    let invalid = || {
        ApiError::new(ErrorCode::InvalidApiKey, "The member token is not valid, expired or was signed out")
    };
    let found = store.find_member_token(presented).await.map_err(ApiError::from)?.ok_or_else(invalid)?;
    if !bool::from(found.secret_hash.as_bytes().ct_eq(presented.as_bytes())) || found.expires_at <= now {
        return Err(invalid());
    }
    let role = Role::parse(&found.role).ok_or_else(invalid)?;
    if due(found.last_used_at, now) {
        let (store, ws, id) = (store.clone(), found.workspace_id.clone(), found.token_id.clone());
        record_use(id.clone(), async move { store.touch_member_token(&ws, &id, now).await });
    }
    Ok(Caller::Member {
        workspace: found.workspace_id,
        token_id: found.token_id,
        member_id: found.member_id,
        role,
    })
}
