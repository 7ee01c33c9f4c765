//! The JSON API for humans and monitoring tools: `/api/severities` (polled by Shinken/Nagios
//! setups), `/api/stats`, `/api/app/*` in the reference's shapes (§4.2, §4.3), and `/healthz`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::state::AppState;
use crate::store::{DomainFilter, SeverityCounts, Stats};
use crate::web::Error;

/// The JSON routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/severities", get(severities))
        .route("/api/stats", get(stats))
        .route("/api/app/", get(summary))
        .route("/api/app/version", get(version))
        .route("/api/app/domains", get(domains))
        .route("/api/app/agents", get(agents))
        .route("/api/app/domain/{netloc}", get(domain_tasks))
        .route("/api/app/alerts", get(alerts))
        .route("/healthz", get(healthz))
}

async fn severities(State(state): State<Arc<AppState>>) -> Result<Json<SeverityCounts>, Error> {
    Ok(Json(state.store.severity_counts().await?))
}

async fn stats(State(state): State<Arc<AppState>>) -> Result<Json<Stats>, Error> {
    Ok(Json(state.store.stats(Utc::now()).await?))
}

async fn summary(State(state): State<Arc<AppState>>) -> Result<Json<Value>, Error> {
    let severities = state.store.severity_counts().await?;
    let agents = state.store.agents().await?.len();
    let waiting = state.store.waiting_count(Utc::now()).await?;
    Ok(Json(
        json!({ "severities": severities, "agents": agents, "waiting_tasks": waiting }),
    ))
}

async fn version() -> Json<Value> {
    Json(json!({ "argos_monitoring": env!("CARGO_PKG_VERSION"), "logged_in": false }))
}

#[derive(Debug, Deserialize)]
struct Page {
    offset: Option<i64>,
    limit: Option<i64>,
}

/// The reference's shape (every domain at once by default, for compatibility); `offset` and
/// `limit` page through large installations.
async fn domains(
    State(state): State<Arc<AppState>>,
    Query(p): Query<Page>,
) -> Result<Json<Value>, Error> {
    let limit = p.limit.unwrap_or(i64::MAX).clamp(1, i64::MAX);
    let page = state
        .store
        .domains_page(DomainFilter::All, None, p.offset.unwrap_or(0).max(0), limit)
        .await?;
    let mut domains = BTreeMap::new();
    let mut last_checks = BTreeMap::new();
    for row in &page.rows {
        domains.insert(row.netloc.clone(), json!(row.severities));
        let last = row
            .last_check
            .map_or_else(|| json!("Waiting to be checked"), |t| json!(t));
        last_checks.insert(row.netloc.clone(), last);
    }
    Ok(Json(json!({
        "domains": domains,
        "domains_last_checks": last_checks,
        "total_task_count": page.total_tasks,
        "total_domain_count": page.total_domains,
    })))
}

async fn agents(State(state): State<Arc<AppState>>) -> Result<Json<Value>, Error> {
    let agents: BTreeMap<String, Value> = state
        .store
        .agents()
        .await?
        .into_iter()
        .map(|a| (a.name, json!(a.last_seen)))
        .collect();
    Ok(Json(json!({ "agents": agents })))
}

/// One domain's tasks with their latest result (what the domain page shows).
async fn domain_tasks(
    State(state): State<Arc<AppState>>,
    Path(netloc): Path<String>,
) -> Result<Json<Value>, Error> {
    let tasks = state.store.domain_tasks(&netloc).await?;
    if tasks.is_empty() {
        return Err(Error::NotFound);
    }
    Ok(Json(json!({ "domain": netloc, "tasks": tasks })))
}

#[derive(Debug, Deserialize)]
struct AlertsQuery {
    before: Option<i64>,
    limit: Option<i64>,
}

/// Recent alerts, newest first, with each channel's outcome; `before` (the `next_before` of
/// the previous page) pages back.
async fn alerts(
    State(state): State<Arc<AppState>>,
    Query(q): Query<AlertsQuery>,
) -> Result<Json<Value>, Error> {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let alerts = state.store.alerts_page(q.before, limit).await?;
    let next = (alerts.len() as i64 == limit)
        .then(|| alerts.last().map(|a| a.alert.id))
        .flatten();
    Ok(Json(json!({ "alerts": alerts, "next_before": next })))
}

async fn healthz(State(state): State<Arc<AppState>>) -> Result<Json<Value>, Error> {
    state.store.severity_counts().await?;
    Ok(Json(
        json!({ "status": "ok", "database": state.store.backend() }),
    ))
}
