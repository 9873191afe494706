//! Extractors that demand a kind of caller: each route states who may call it.

use std::ops::Deref;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::authenticate::Caller;
use crate::auth::{KeyKind, Role};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::{Actor, Store, WorkspaceId};

fn caller(parts: &Parts) -> Result<Caller, ApiError> {
    parts.extensions.get::<Caller>().cloned().ok_or_else(|| {
        ApiError::new(ErrorCode::MissingApiKey, "Send an API key as `Authorization: Bearer <key>`")
    })
}

fn forbidden(what: &str) -> ApiError {
    ApiError::new(ErrorCode::ForbiddenForKey, format!("This operation needs {what}"))
}

/// Any authenticated caller.
pub struct AnyCaller(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for AnyCaller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        caller(parts).map(AnyCaller)
    }
}

/// The admin key, which manages workspaces.
pub struct Admin;

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        match caller(parts)? {
            Caller::Admin => Ok(Admin),
            _ => Err(forbidden("the admin key")),
        }
    }
}

/// A signed-in member acting through their token.
#[derive(Debug, Clone)]
pub struct MemberRef {
    pub id: String,
    pub role: Role,
    /// The token (session) the member is calling with.
    pub token_id: String,
}

/// Someone working inside one workspace: a server key (everything) or a member token (what
/// the member's role allows, acting as that member).
#[derive(Clone)]
pub struct WorkspaceCaller {
    pub workspace: WorkspaceId,
    pub member: Option<MemberRef>,
    actor: Actor,
    /// The key or token presented (its id), for limits kept per credential.
    pub credential: String,
}

impl WorkspaceCaller {
    /// The actor recorded in events for changes this caller makes.
    pub fn actor(&self) -> Actor {
        self.actor.clone()
    }

    /// The member a request acts for: a member token's own member (an admin may name another),
    /// or the `member_id` a server key names, which must exist.
    pub async fn acting_member(
        &self,
        store: &Store,
        field: &str,
        named: Option<String>,
    ) -> ApiResult<Option<String>> {
        match (&self.member, named) {
            (Some(me), None) => Ok(Some(me.id.clone())),
            (Some(me), Some(id)) if id == me.id => Ok(Some(id)),
            (Some(me), Some(_)) if me.role != Role::Admin => Err(ApiError::new(
                ErrorCode::ForbiddenForRole,
                format!("An agent acts as themselves: leave `{field}` out or name yourself"),
            )),
            (_, Some(id)) => {
                if store.get_member(&self.workspace, &id).await?.is_none() {
                    return Err(ApiError::field(field, format!("no member {id} in this workspace")));
                }
                Ok(Some(id))
            }
            (None, None) => Ok(None),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for WorkspaceCaller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        match caller(parts)? {
            Caller::Key { workspace, key_id, kind: KeyKind::Server } => Ok(WorkspaceCaller {
                workspace,
                member: None,
                actor: Actor::api_key(&key_id),
                credential: key_id,
            }),
            Caller::Member { workspace, member_id, role, token_id } => Ok(WorkspaceCaller {
                workspace,
                actor: Actor::member(&member_id),
                credential: token_id.clone(),
                member: Some(MemberRef { id: member_id, role, token_id }),
            }),
            Caller::Admin => {
                Err(forbidden("a server key or a member token (the admin key manages workspaces only)"))
            }
            Caller::Key { .. } | Caller::Contact { .. } => Err(forbidden(
                "a server key or a member token (client keys and contact tokens reach /v1/widget only)",
            )),
        }
    }
}

/// Managing the workspace (keys, members, teams, channels, contacts, states): a server key or
/// an `admin` member.
pub struct Manager(WorkspaceCaller);

impl Deref for Manager {
    type Target = WorkspaceCaller;
    fn deref(&self) -> &WorkspaceCaller {
        &self.0
    }
}

impl Manager {
    /// The caller, if it may manage the workspace.
    pub fn of(caller: WorkspaceCaller) -> Result<Self, ApiError> {
        if caller.member.as_ref().is_some_and(|m| m.role != Role::Admin) {
            return Err(ApiError::new(
                ErrorCode::ForbiddenForRole,
                "This needs an admin member or a server key; agents work on conversations",
            ));
        }
        Ok(Manager(caller))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Manager {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Manager::of(WorkspaceCaller::from_request_parts(parts, state).await?)
    }
}

/// A key that may open widget sessions: a client key (in a web page) or a server key (a
/// backend opening sessions for its signed-in users).
pub struct WidgetKey {
    pub workspace: WorkspaceId,
    pub key_id: String,
    /// A server key (the site's backend), not the page's public client key.
    pub server: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for WidgetKey {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        match caller(parts)? {
            Caller::Key { workspace, key_id, kind } => {
                Ok(WidgetKey { workspace, key_id, server: kind == KeyKind::Server })
            }
            _ => Err(forbidden("a client key (bt_pk_) or a server key")),
        }
    }
}

/// A widget visitor: the contact their session token names. Everything they reach is theirs.
pub struct Visitor {
    pub workspace: WorkspaceId,
    pub contact_id: String,
    /// The channel their session's key spoke for: their conversations start there.
    pub channel_id: Option<String>,
}

impl Visitor {
    pub fn actor(&self) -> Actor {
        Actor::contact(&self.contact_id)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Visitor {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        match caller(parts)? {
            Caller::Contact { workspace, contact_id, channel_id } => {
                Ok(Visitor { workspace, contact_id, channel_id })
            }
            _ => Err(forbidden("a contact token (bt_ct_, from POST /v1/widget/sessions)")),
        }
    }
}

/// The member token presented, for signing out and managing one's sessions.
pub struct Session {
    pub workspace: WorkspaceId,
    pub token_id: String,
    pub member_id: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        match caller(parts)? {
            Caller::Member { workspace, token_id, member_id, .. } => {
                Ok(Session { workspace, token_id, member_id })
            }
            _ => Err(forbidden("a member token")),
        }
    }
}

/// The caller, if the request named one (a route open to signed links decides).
pub struct OptionalCaller(pub Option<Caller>);

impl<S: Send + Sync> FromRequestParts<S> for OptionalCaller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(OptionalCaller(parts.extensions.get::<Caller>().cloned()))
    }
}

/// Who may upload files: a server key or a member, or a widget visitor (whose uploads are
/// theirs, and only they may attach them).
pub struct Uploader {
    pub workspace: WorkspaceId,
    pub contact_id: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Uploader {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        match caller(parts)? {
            Caller::Key { workspace, kind: KeyKind::Server, .. } | Caller::Member { workspace, .. } => {
                Ok(Uploader { workspace, contact_id: None })
            }
            Caller::Contact { workspace, contact_id, .. } => {
                Ok(Uploader { workspace, contact_id: Some(contact_id) })
            }
            _ => Err(forbidden("a server key, a member token or a contact token")),
        }
    }
}
