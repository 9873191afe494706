//! The HTTP API: one file per resource, assembled here with the cross-cutting layers.

mod authenticate;
pub(crate) mod caller;
pub(crate) mod client_ip;
mod cookie;
mod cors;
pub(crate) mod docs;
pub(crate) mod extract;
mod guard;
mod headers;
pub mod idempotency;
pub(crate) mod list;
mod log_tail;
mod metrics;
mod objects_only;
pub mod quotas;
mod request_id;
pub(crate) mod resources;
mod sign_in_limits;
mod state;
mod stream_slots;
pub(crate) mod versioning;
mod web;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use tower_http::catch_panic::CatchPanicLayer;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::{FieldError, Problem};
use docs::ProblemCodes;
use resources::{
    agents, api_keys, audit, canned_responses, channels, contacts, conversations, deliveries, events, files,
    knowledge, me, member_sessions, members, messages, notes, ops, reports, responses, sessions, setup,
    states, stream, tags, teams, tickets, webhooks, widget, workspaces,
};

pub use quotas::{Limit, VisitorQuotas};
pub use state::{AppState, Settings};
pub use stream_slots::StreamLimits;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Baton API",
        description = "The self-hostable backend for AI-assisted customer support: conversations, \
                       messages, handoff between AI and human agents, webhooks and live events.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    components(schemas(Problem, FieldError)),
    modifiers(&SecuritySchemes, &ProblemCodes),
    tags(
        (name = "workspaces", description = "Tenants (admin key)"),
        (name = "me", description = "The caller"),
        (name = "api-keys", description = "Server and client keys"),
        (name = "members", description = "The people who work in the inbox"),
        (name = "teams", description = "Groups of members"),
        (name = "auth", description = "Members sign in and out, and their sessions"),
        (name = "audit", description = "Security-relevant changes and sign-ins (admins)"),
        (name = "agents", description = "The AI agents that answer, and their versions"),
        (name = "knowledge", description = "Help-centre articles the AI answers from, and searching them"),
        (name = "reports", description = "How the AI and the team did over a period"),
        (name = "files", description = "Files sent in conversations: uploads, attached to messages by id, served by signed URLs"),
        (name = "widget", description = "The visitor chat widget: sessions with a client key, then the visitor's own conversations"),
        (name = "contacts", description = "The customers who write in"),
        (name = "channels", description = "Where conversations come from"),
        (name = "conversations", description = "Threads between a contact and the AI or human agents"),
        (name = "messages", description = "The messages of a conversation"),
        (name = "events", description = "The event log"),
        (name = "notes", description = "Internal notes on conversations"),
        (name = "tags", description = "The workspace's tag palette"),
        (name = "canned-responses", description = "Saved replies agents insert from the composer"),
        (name = "conversation-states", description = "Custom workflow states"),
        (name = "tickets", description = "Conversations escalated into tracked work"),
        (name = "webhooks", description = "Where events are delivered, signed"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, prefix) in [
            ("admin_key", "bt_admin_"),
            ("server_key", "bt_sk_"),
            ("member_token", "bt_mt_"),
            ("client_key", "bt_pk_"),
            ("contact_token", "bt_ct_"),
        ] {
            let mut scheme = Http::new(HttpAuthScheme::Bearer);
            scheme.description = Some(format!("`Authorization: Bearer {prefix}…`"));
            components.add_security_scheme(name, SecurityScheme::Http(scheme));
        }
    }
}

fn v1() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(workspaces::router())
        .merge(me::router())
        .merge(api_keys::router())
        .merge(audit::router())
        .merge(members::router())
        .merge(teams::router())
        .merge(sessions::router())
        .merge(member_sessions::router())
        .merge(setup::router())
        .merge(agents::router())
        .merge(knowledge::router())
        .merge(responses::router())
        .merge(reports::router())
        .merge(widget::router())
        .merge(contacts::router())
        .merge(channels::router())
        .merge(conversations::router())
        .merge(messages::router())
        .merge(events::router())
        .merge(stream::router())
        .merge(notes::router())
        .merge(tags::router())
        .merge(canned_responses::router())
        .merge(states::router())
        .merge(tickets::router())
        .merge(files::router())
        .merge(webhooks::router())
        .merge(deliveries::router())
}

/// The OpenAPI document of the native API and the `extra` routes (the seeds' dialects),
/// as served at `/openapi.json` and committed as `openapi.json`.
pub fn openapi(extra: OpenApiRouter<AppState>) -> utoipa::openapi::OpenApi {
    let (_, mut spec) = v1().merge(extra).split_for_parts();
    spec.merge(ops::router().split_for_parts().1);
    spec
}

/// The whole HTTP service: the native API and the `extra` API routes (which pass the same
/// authentication, idempotency and limits), the operations endpoints, the web front ends.
pub fn router(state: AppState, extra: OpenApiRouter<AppState>) -> Router {
    let (api, mut spec) = v1().merge(extra).split_for_parts();
    let (ops, ops_spec) = ops::router().split_for_parts();
    spec.merge(ops_spec);
    let api = api
        .layer(from_fn_with_state(state.clone(), idempotency::middleware))
        .layer(from_fn_with_state(state.clone(), guard::authenticate));
    Router::new()
        .merge(api)
        .merge(ops)
        .merge(web::router())
        .merge(SwaggerUi::new("/docs").url("/openapi.json", spec))
        .route_layer(from_fn(metrics::mark_route))
        .fallback(guard::route_not_found)
        .method_not_allowed_fallback(guard::method_not_allowed)
        .layer(DefaultBodyLimit::max(state.settings.body_limit))
        .layer(from_fn_with_state(state.settings.request_timeout, guard::timeout))
        .layer(CatchPanicLayer::custom(guard::panic_to_problem))
        .layer(from_fn_with_state(state.clone(), metrics::record))
        .layer(from_fn(cors::middleware))
        .layer(from_fn_with_state(state.clone(), headers::middleware))
        .layer(from_fn(request_id::middleware))
        .with_state(state)
}
