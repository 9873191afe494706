//! The seeds' own APIs: each of the five vendor documents Baton was made from, answered as
//! documented (paths, field names, enums, envelopes) over the same data as the native API.
//! One thin file per seed translates requests and responses onto the calls the native
//! handlers make; no business rule lives here. `docs/dialects.md` maps every field.

use utoipa_axum::router::OpenApiRouter;

use crate::http::AppState;

/// Every dialect's routes, to mount beside the native API.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
}
