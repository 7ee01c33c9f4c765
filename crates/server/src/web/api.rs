//! The JSON API for humans and monitoring tools: `/api/severities` (polled by Shinken/Nagios
//! setups), `/api/stats`, `/api/app/*` in the reference's shapes (§4.2, §4.3), and `/healthz`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Extension;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Visitor;
use crate::state::AppState;
use crate::store::{DomainFilter, DomainSort, SeverityCounts, Stats};
use crate::web::Error;
use crate::web::docs::{self, BadQuery, Internal, NotFound, Unauthorized, Unavailable};

/// The JSON routes, each with its OpenAPI description (see [`docs`]).
pub fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::default()
        .routes(routes!(severities))
        .routes(routes!(stats))
        .routes(routes!(summary))
        .routes(routes!(version))
        .routes(routes!(domains))
        .routes(routes!(agents))
        .routes(routes!(domain_tasks))
        .routes(routes!(alerts))
        .routes(routes!(healthz))
}

/// Number of tasks per current severity (polled by Nagios/Shinken setups).
#[utoipa::path(get, path = "/api/severities", tag = "monitoring", security(()),
    responses(
        (status = 200, description = "Tasks per severity; every key is present",
            body = SeverityCounts),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
async fn severities(State(state): State<Arc<AppState>>) -> Result<Json<SeverityCounts>, Error> {
    Ok(Json(state.store.severity_counts().await?))
}

/// Counts of tasks waiting, tasks leased and stored results.
#[utoipa::path(get, path = "/api/stats", tag = "monitoring", security(("session" = [])),
    responses(
        (status = 200, description = "The counts", body = Stats),
        (status = 401, response = Unauthorized),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
async fn stats(State(state): State<Arc<AppState>>) -> Result<Json<Stats>, Error> {
    Ok(Json(state.store.stats(Utc::now()).await?))
}

/// The dashboard's figures: tasks per severity, agents, tasks waiting.
#[utoipa::path(get, path = "/api/app/", tag = "app", security(("session" = [])),
    description = "Needs a session, unless `general.unauthenticated_access` is `dashboard` or `all`.",
    responses(
        (status = 200, description = "The dashboard's figures", body = docs::Summary),
        (status = 401, response = Unauthorized),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
async fn summary(State(state): State<Arc<AppState>>) -> Result<Json<Value>, Error> {
    let severities = state.store.severity_counts().await?;
    let agents = state.store.agents().await?.len();
    let waiting = state.store.waiting_count(Utc::now()).await?;
    Ok(Json(
        json!({ "severities": severities, "agents": agents, "waiting_tasks": waiting }),
    ))
}

/// The server's version, and whether the caller is logged in.
#[utoipa::path(get, path = "/api/app/version", tag = "app", security(("session" = [])),
    responses(
        (status = 200, description = "The version", body = docs::Version),
        (status = 401, response = Unauthorized),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
async fn version(Extension(visitor): Extension<Visitor>) -> Json<Value> {
    Json(json!({
        "argos_monitoring": env!("CARGO_PKG_VERSION"),
        "logged_in": visitor.user.is_some(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Page {
    /// Domains skipped (in netloc order).
    #[param(minimum = 0)]
    offset: Option<i64>,
    /// Domains returned at most (default: all).
    #[param(minimum = 1)]
    limit: Option<i64>,
}

/// Every domain with its severities and its latest check.
///
/// The reference's shape (every domain at once by default, for compatibility); `offset` and
/// `limit` page through large installations.
#[utoipa::path(get, path = "/api/app/domains", tag = "app", security(("session" = [])),
    params(Page),
    responses(
        (status = 200, description = "The domains (keys: `host[:port]`)", body = docs::Domains),
        (status = 400, response = BadQuery),
        (status = 401, response = Unauthorized),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
async fn domains(
    State(state): State<Arc<AppState>>,
    query: Result<Query<Page>, QueryRejection>,
) -> Result<Json<Value>, Error> {
    let Query(p) = query.map_err(bad_query)?;
    in_range("offset", p.offset, 0, i64::MAX)?;
    in_range("limit", p.limit, 1, i64::MAX)?;
    let limit = p.limit.unwrap_or(i64::MAX);
    let page = state
        .store
        .domains_page(
            DomainFilter::All,
            None,
            DomainSort::Severity,
            p.offset.unwrap_or(0),
            limit,
        )
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

/// Every agent with its last contact.
#[utoipa::path(get, path = "/api/app/agents", tag = "app", security(("session" = [])),
    responses(
        (status = 200, description = "The agents", body = docs::Agents),
        (status = 401, response = Unauthorized),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
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
#[utoipa::path(get, path = "/api/app/domain/{netloc}", tag = "app",
    security(("session" = [])),
    params(("netloc" = String, Path, description = "`host[:port]` of the domain",
        example = "example.org")),
    responses(
        (status = 200, description = "The domain's tasks", body = docs::DomainTasks),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AlertsQuery {
    /// Alerts older than this id: the `next_before` of the previous page.
    before: Option<i64>,
    /// Alerts returned at most, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

/// Recent alerts, newest first, with each channel's outcome.
///
/// `before` (the `next_before` of the previous page) pages back.
#[utoipa::path(get, path = "/api/app/alerts", tag = "app", security(("session" = [])),
    params(AlertsQuery),
    responses(
        (status = 200, description = "A page of alerts", body = docs::Alerts),
        (status = 400, response = BadQuery),
        (status = 401, response = Unauthorized),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
async fn alerts(
    State(state): State<Arc<AppState>>,
    query: Result<Query<AlertsQuery>, QueryRejection>,
) -> Result<Json<Value>, Error> {
    let Query(q) = query.map_err(bad_query)?;
    in_range("limit", q.limit, 1, 500)?;
    let limit = q.limit.unwrap_or(50);
    let alerts = state.store.alerts_page(q.before, limit).await?;
    let next = (alerts.len() as i64 == limit)
        .then(|| alerts.last().map(|a| a.alert.id))
        .flatten();
    Ok(Json(json!({ "alerts": alerts, "next_before": next })))
}

/// Liveness and database check, for load balancers and probes.
#[utoipa::path(get, path = "/healthz", tag = "monitoring", security(()),
    responses(
        (status = 200, description = "The server answers and its database too", body = docs::Health),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
async fn healthz(State(state): State<Arc<AppState>>) -> Result<Json<Value>, Error> {
    state.store.severity_counts().await?;
    Ok(Json(
        json!({ "status": "ok", "database": state.store.backend() }),
    ))
}

/// A query string that does not parse: 400 with axum's reason, as `{"detail"}` like every
/// other error of the API.
fn bad_query(e: QueryRejection) -> Error {
    Error::BadRequest(StatusCode::BAD_REQUEST, e.body_text())
}

/// A parameter outside the range its documentation gives is refused (400), not clamped: a
/// client sending `offset=-1` has a bug it should hear about.
fn in_range(name: &str, value: Option<i64>, min: i64, max: i64) -> Result<(), Error> {
    match value {
        Some(v) if v < min || v > max => {
            let range = if max == i64::MAX {
                format!("{min} or more")
            } else {
                format!("from {min} to {max}")
            };
            let message = format!("{name} must be {range}, not {v}");
            Err(Error::BadRequest(StatusCode::BAD_REQUEST, message))
        }
        _ => Ok(()),
    }
}
