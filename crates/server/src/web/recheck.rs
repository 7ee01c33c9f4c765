//! "Recheck now": `POST /task/{id}/recheck`, `POST /domain/{domain}/recheck` and
//! `POST /recheck/not-ok` make tasks due at once (agents pick them up at their next poll),
//! then go back to the page the form was on. Forms only, with their CSRF field.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Extension, Form, Router};
use chrono::Utc;
use serde::Deserialize;

use super::pages::PageError;
use crate::auth::{self, Visitor};
use crate::state::AppState;

/// The recheck routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/task/{id}/recheck", post(task))
        .route("/domain/{domain}/recheck", post(domain))
        .route("/recheck/not-ok", post(not_ok))
}

#[derive(Debug, Deserialize)]
struct RecheckForm {
    #[serde(default)]
    csrf: String,
    /// Where to go afterwards (a path of this site).
    back: Option<String>,
}

/// Checks the form, then goes `back` (or to `default`).
fn done(
    state: &AppState,
    visitor: &Visitor,
    f: &RecheckForm,
    moved: u64,
    default: String,
) -> Result<Response, PageError> {
    let cfg = state.config();
    let root = &cfg.general.root_path;
    tracing::info!(
        user = visitor.user.as_deref().unwrap_or("anonymous"),
        tasks = moved,
        "recheck asked"
    );
    let back = auth::safe_next(root, f.back.as_deref().or(Some(&default)));
    Ok(Redirect::to(&back).into_response())
}

fn csrf(state: &AppState, visitor: &Visitor, f: &RecheckForm) -> Result<(), PageError> {
    if visitor.csrf_ok(&state.config().general.cookie_secret, &f.csrf) {
        Ok(())
    } else {
        Err(PageError::csrf())
    }
}

async fn task(
    State(state): State<Arc<AppState>>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<i64>,
    Form(f): Form<RecheckForm>,
) -> Result<Response, PageError> {
    csrf(&state, &visitor, &f)?;
    state.store.task(id).await?;
    let moved = state.store.recheck_task(id, Utc::now()).await?;
    let root = state.config().general.root_path.clone();
    done(
        &state,
        &visitor,
        &f,
        moved,
        format!("{root}/task/{id}/results"),
    )
}

async fn domain(
    State(state): State<Arc<AppState>>,
    Extension(visitor): Extension<Visitor>,
    Path(netloc): Path<String>,
    Form(f): Form<RecheckForm>,
) -> Result<Response, PageError> {
    csrf(&state, &visitor, &f)?;
    let moved = state.store.recheck_domain(&netloc, Utc::now()).await?;
    let root = state.config().general.root_path.clone();
    let encoded: String = url::form_urlencoded::byte_serialize(netloc.as_bytes()).collect();
    done(
        &state,
        &visitor,
        &f,
        moved,
        format!("{root}/domain/{encoded}"),
    )
}

async fn not_ok(
    State(state): State<Arc<AppState>>,
    Extension(visitor): Extension<Visitor>,
    Form(f): Form<RecheckForm>,
) -> Result<Response, PageError> {
    csrf(&state, &visitor, &f)?;
    let moved = state.store.reschedule_non_ok(Utc::now()).await?;
    let root = state.config().general.root_path.clone();
    done(
        &state,
        &visitor,
        &f,
        moved,
        format!("{root}/domains?s=not-ok"),
    )
}
