//! Runs a write again when its transaction lost a deadlock or a serialization check to
//! another one (PostgreSQL aborts one of two transactions that wait on each other): the loser
//! changed nothing, and a client should not see how the database scheduled two requests. At
//! most [`ATTEMPTS`] runs, a few milliseconds apart; after that the 503 goes out.
//!
//! It sits inside authentication and idempotency, so those run once per request.

use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, Contended, ErrorCode};
use crate::http::AppState;

const ATTEMPTS: u32 = 3;

pub async fn middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() == Method::GET || request.method() == Method::HEAD {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    // Kept whole for another run, as far as any route takes bodies (uploads the most); a
    // handler reads it whole anyway.
    let limit = state.settings.body_limit.max(state.settings.upload_limit + 16 * 1024);
    let Ok(body) = to_bytes(body, limit).await else {
        return ApiError::new(ErrorCode::PayloadTooLarge, "The request body is too large").into_response();
    };
    let mut attempt = 1;
    loop {
        let mut again = Request::new(Body::from(body.clone()));
        *again.method_mut() = parts.method.clone();
        *again.uri_mut() = parts.uri.clone();
        *again.version_mut() = parts.version;
        *again.headers_mut() = parts.headers.clone();
        *again.extensions_mut() = parts.extensions.clone();
        let response = next.clone().run(again).await;
        if attempt == ATTEMPTS || response.extensions().get::<Contended>().is_none() {
            return response;
        }
        // Apart by a few random milliseconds, so the two do not meet again in step.
        let jitter = getrandom::u32().unwrap_or_default() % 10;
        tokio::time::sleep(Duration::from_millis(u64::from(5 * attempt + jitter))).await;
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use axum::Router;
    use axum::body::{Body, to_bytes};
    use axum::http::{Request, StatusCode};
    use axum::middleware::from_fn_with_state;
    use axum::routing::post;
    use tower::ServiceExt;

    use super::*;

    /// A handler whose transaction loses `losses` times, then stores the body it was sent.
    async fn app(losses: u32) -> (Router, Arc<AtomicU32>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = crate::store::Store::connect(&url).await.unwrap();
        let clock = Arc::new(crate::clock::ManualClock::new(0));
        let state = AppState::new(store, clock, crate::http::Settings::default());
        let runs = Arc::new(AtomicU32::new(0));
        let counted = runs.clone();
        let handler = move |body: String| async move {
            if counted.fetch_add(1, Ordering::SeqCst) < losses {
                let mut lost = ApiError::new(ErrorCode::DatabaseUnavailable, "deadlock");
                lost.contended = true;
                return Err(lost);
            }
            Ok((StatusCode::CREATED, body))
        };
        let router = Router::new().route("/x", post(handler)).layer(from_fn_with_state(state, middleware));
        (router, runs, dir)
    }

    async fn send(router: Router) -> (StatusCode, String) {
        let request = Request::post("/x").body(Body::from("the body")).unwrap();
        let response = router.oneshot(request).await.unwrap();
        let status = response.status();
        (status, String::from_utf8(to_bytes(response.into_body(), 1 << 20).await.unwrap().to_vec()).unwrap())
    }

    #[tokio::test]
    async fn a_write_that_lost_to_another_runs_again_with_its_body() {
        let (router, runs, _dir) = app(2).await;
        assert_eq!(send(router).await, (StatusCode::CREATED, "the body".to_owned()));
        assert_eq!(runs.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn after_three_losses_the_503_goes_out() {
        let (router, runs, _dir) = app(5).await;
        assert_eq!(send(router).await.0, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(runs.load(Ordering::SeqCst), ATTEMPTS);
    }
}
