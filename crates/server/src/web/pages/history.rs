//! The pages that page through history, newest first: a task's results, one result, the
//! agents, the alerts. Each pages by the id of the last row shown (`?before=`), which an
//! index serves directly, where an offset would walk every newer row.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ALERTS_PER_PAGE, PageError, RESULTS_PER_PAGE, render_page};
use crate::auth::Visitor;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub(super) struct HistoryQuery {
    before: Option<i64>,
}

pub(super) async fn task_results(
    State(state): State<Arc<AppState>>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<i64>,
    Query(q): Query<HistoryQuery>,
) -> Result<Html<String>, PageError> {
    let task = state.store.task(id).await?;
    let results = state
        .store
        .task_results(id, q.before, RESULTS_PER_PAGE)
        .await?;
    let older = (results.len() as i64 == RESULTS_PER_PAGE)
        .then(|| results.last().map(|r| r.id))
        .flatten();
    render_page(
        &state,
        &visitor,
        "results.html",
        json!({ "task": task, "results": results, "older": older }),
    )
}

pub(super) async fn result(
    State(state): State<Arc<AppState>>,
    Extension(visitor): Extension<Visitor>,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    let result = state.store.result(id).await?;
    let task = state.store.task(result.task_id).await?;
    render_page(
        &state,
        &visitor,
        "result.html",
        json!({ "result": result, "task": task }),
    )
}

pub(super) async fn agents(
    State(state): State<Arc<AppState>>,
    Extension(visitor): Extension<Visitor>,
) -> Result<Html<String>, PageError> {
    let now = Utc::now();
    let silent = state.config().recurring_tasks.time_without_agent;
    let agents: Vec<Value> = state
        .store
        .agents()
        .await?
        .into_iter()
        .map(|a| {
            let mut v = json!(a);
            v["results_last_hour"] = json!(a.results_last_hour(now));
            v["silent"] = json!((now - a.last_seen).to_std().unwrap_or_default() > silent);
            v
        })
        .collect();
    let silent_after = crate::web::dashboard::human_seconds(silent.as_secs() as i64);
    let ctx = json!({ "agents": agents, "silent_after": silent_after });
    render_page(&state, &visitor, "agents.html", ctx)
}

pub(super) async fn alerts(
    State(state): State<Arc<AppState>>,
    Extension(visitor): Extension<Visitor>,
    Query(q): Query<HistoryQuery>,
) -> Result<Html<String>, PageError> {
    let alerts = state.store.alerts_page(q.before, ALERTS_PER_PAGE).await?;
    let pending = state.store.pending_deliveries().await?;
    let older = (alerts.len() as i64 == ALERTS_PER_PAGE)
        .then(|| alerts.last().map(|a| a.alert.id))
        .flatten();
    render_page(
        &state,
        &visitor,
        "alerts.html",
        json!({ "alerts": alerts, "older": older, "pending": pending }),
    )
}
