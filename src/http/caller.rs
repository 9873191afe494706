//! Extractors that demand a kind of caller: each route states who may call it.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::auth::{Caller, KeyKind};
use crate::error::{ApiError, ErrorCode};
use crate::store::WorkspaceId;

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
            Caller::Key { .. } => Err(forbidden("the admin key")),
        }
    }
}

/// A server key: everything inside its workspace.
pub struct Server {
    pub workspace: WorkspaceId,
    pub key_id: String,
}

impl Server {
    /// The actor recorded in events for changes this key makes.
    pub fn actor(&self) -> crate::store::Actor {
        crate::store::Actor::api_key(&self.key_id)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Server {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        match caller(parts)? {
            Caller::Key { workspace, key_id, kind: KeyKind::Server } => Ok(Server { workspace, key_id }),
            Caller::Admin => Err(forbidden("a server key (the admin key manages workspaces only)")),
            Caller::Key { .. } => Err(forbidden("a server key (client keys reach /v1/widget only)")),
        }
    }
}
