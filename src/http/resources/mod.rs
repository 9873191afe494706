//! The API's resources: one module per resource (or a folder for the larger ones), each
//! ending in `router()`. What every resource shares (authentication, extractors, errors,
//! paging, versioning, limits) is the layer above, in `http/`.

pub(super) mod agents;
pub(super) mod api_keys;
pub(crate) mod audit;
pub(super) mod canned_responses;
pub(crate) mod channels;
pub(crate) mod contacts;
pub(crate) mod conversations;
pub(super) mod deliveries;
pub(super) mod events;
pub mod files;
pub(super) mod knowledge;
pub(super) mod me;
pub(super) mod member_sessions;
pub(super) mod members;
pub(crate) mod messages;
pub(crate) mod notes;
pub(super) mod ops;
pub(super) mod reports;
pub(crate) mod responses;
pub(super) mod sessions;
pub(super) mod setup;
pub(super) mod states;
pub(super) mod stream;
pub(crate) mod tags;
pub(super) mod teams;
pub(super) mod tickets;
pub(super) mod webhooks;
pub(super) mod widget;
pub(super) mod workspaces;
