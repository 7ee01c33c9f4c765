//! Server-rendered pages. Each page reads only what it shows: the dashboard four counts, the
//! domains list one page of domains, a domain its own tasks with their denormalised last
//! result. Templates are compiled into the binary and auto-escape HTML (agents and configs
//! supply text that ends up here).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use minijinja::Environment;
use minijinja::value::Serde;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::state::AppState;
use crate::store::DomainFilter;
use argos_checks::Severity;

/// Domains shown per page.
pub const DOMAINS_PER_PAGE: i64 = 100;
/// Results shown per page of a task's history.
pub const RESULTS_PER_PAGE: i64 = 50;
/// Alerts shown per page.
pub const ALERTS_PER_PAGE: i64 = 50;
/// Dashboard auto-refresh, in seconds.
pub const DASHBOARD_REFRESH: u32 = 30;

const TEMPLATES: [(&str, &str); 10] = [
    ("base.html", include_str!("../../templates/base.html")),
    ("macros.html", include_str!("../../templates/macros.html")),
    ("index.html", include_str!("../../templates/index.html")),
    ("domains.html", include_str!("../../templates/domains.html")),
    ("domain.html", include_str!("../../templates/domain.html")),
    ("results.html", include_str!("../../templates/results.html")),
    ("result.html", include_str!("../../templates/result.html")),
    ("agents.html", include_str!("../../templates/agents.html")),
    ("error.html", include_str!("../../templates/error.html")),
    ("alerts.html", include_str!("../../templates/alerts.html")),
];
const STYLE: &str = include_str!("../../templates/style.css");

/// The template set, built once at start-up.
///
/// # Panics
/// If a bundled template does not compile — a test renders every page, so this cannot ship.
pub fn templates() -> Environment<'static> {
    let mut env = Environment::new();
    for (name, src) in TEMPLATES {
        env.add_template(name, src)
            .unwrap_or_else(|e| panic!("bundled template {name}: {e}"));
    }
    env
}

/// The HTML routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(dashboard))
        .route("/domains", get(domains))
        .route("/domain/{netloc}", get(domain))
        .route("/task/{id}/results", get(task_results))
        .route("/result/{id}", get(result))
        .route("/agents", get(agents))
        .route("/alerts", get(alerts))
        .route("/static/style.css", get(style))
}

/// A page failure, rendered as an HTML page.
pub struct PageError(StatusCode, String);

impl From<crate::store::Error> for PageError {
    fn from(e: crate::store::Error) -> PageError {
        match e {
            crate::store::Error::NotFound => {
                PageError(StatusCode::NOT_FOUND, "This page does not exist.".into())
            }
            other => {
                tracing::error!(error = ?other, "store error while rendering a page");
                PageError(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The server could not build this page.".into(),
                )
            }
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let title = self.0.canonical_reason().unwrap_or("Error");
        let body = format!("{title}: {}", self.1);
        (self.0, body).into_response()
    }
}

fn render(state: &AppState, name: &str, mut ctx: Value) -> Result<Html<String>, PageError> {
    let cfg = state.config();
    ctx["root"] = json!(cfg.general.root_path);
    ctx["version"] = json!(env!("CARGO_PKG_VERSION"));
    let out = state
        .templates
        .get_template(name)
        .and_then(|t| t.render(Serde(&ctx)));
    out.map(Html).map_err(|e| {
        tracing::error!(error = %e, template = name, "template error");
        PageError(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The server could not build this page.".into(),
        )
    })
}

async fn dashboard(State(state): State<Arc<AppState>>) -> Result<Html<String>, PageError> {
    let counts = state.store.severity_counts().await?;
    let agents = state.store.agents().await?.len();
    let waiting = state.store.waiting_count(Utc::now()).await?;
    let tiles: Vec<Value> = [
        (Severity::Unknown, counts.unknown),
        (Severity::Ok, counts.ok),
        (Severity::Warning, counts.warning),
        (Severity::Critical, counts.critical),
    ]
    .into_iter()
    .map(|(s, n)| json!({ "severity": s, "count": n }))
    .collect();
    let total = counts.ok + counts.warning + counts.critical + counts.unknown;
    let ctx = json!({ "tiles": tiles, "agents": agents, "waiting": waiting, "total": total, "refresh": DASHBOARD_REFRESH });
    render(&state, "index.html", ctx)
}

#[derive(Debug, Deserialize)]
struct DomainsQuery {
    s: Option<String>,
    q: Option<String>,
    page: Option<i64>,
}

const FILTERS: [(&str, &str); 6] = [
    ("all", "All"),
    ("not-ok", "Not OK"),
    ("ok", "✅ OK"),
    ("warning", "⚠️ Warning"),
    ("critical", "❌ Critical"),
    ("unknown", "❔ Unknown"),
];

fn parse_filter(s: &str) -> Option<DomainFilter> {
    match s {
        "all" => Some(DomainFilter::All),
        "not-ok" => Some(DomainFilter::NotOk),
        other => Severity::parse(other).map(DomainFilter::Only),
    }
}

async fn domains(
    State(state): State<Arc<AppState>>,
    Query(q): Query<DomainsQuery>,
) -> Result<Html<String>, PageError> {
    let s = q.s.unwrap_or_else(|| "all".into());
    let filter = parse_filter(&s).ok_or_else(|| {
        PageError(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("unknown filter {s:?}: use all, not-ok, ok, warning, critical or unknown"),
        )
    })?;
    let search = q.q.unwrap_or_default();
    let page = q.page.unwrap_or(1).max(1);
    let found = state
        .store
        .domains_page(
            filter,
            Some(search.trim()).filter(|s| !s.is_empty()),
            (page - 1) * DOMAINS_PER_PAGE,
            DOMAINS_PER_PAGE,
        )
        .await?;
    let pages = ((found.total_domains + DOMAINS_PER_PAGE - 1) / DOMAINS_PER_PAGE).max(1);
    let (rules, now) = (state.rules(), Utc::now());
    let rows: Vec<Value> = found
        .rows
        .iter()
        .map(|r| {
            let mut row = json!(r);
            row["maintenance"] = json!(rules.maintenance_of_netloc(&r.netloc, now));
            row
        })
        .collect();
    let agents = state.store.agents().await?.len();
    let ctx = json!({
        "rows": rows, "total_domains": found.total_domains, "total_tasks": found.total_tasks,
        "agents": agents, "s": s, "q": search, "filters": FILTERS, "page": page, "pages": pages,
        "prev_page": if page > 1 { Some(page - 1) } else { None },
        "next_page": if page < pages { Some(page + 1) } else { None },
    });
    render(&state, "domains.html", ctx)
}

async fn domain(
    State(state): State<Arc<AppState>>,
    Path(netloc): Path<String>,
) -> Result<Html<String>, PageError> {
    let tasks = state.store.domain_tasks(&netloc).await?;
    if tasks.is_empty() {
        return Err(PageError(
            StatusCode::NOT_FOUND,
            format!("No task is monitoring {netloc}."),
        ));
    }
    let maintenance = state
        .rules()
        .maintenance_of_netloc(&netloc, Utc::now())
        .map(str::to_owned);
    render(
        &state,
        "domain.html",
        json!({ "netloc": netloc, "tasks": tasks, "maintenance": maintenance }),
    )
}

#[derive(Debug, Deserialize)]
struct HistoryQuery {
    before: Option<i64>,
}

async fn task_results(
    State(state): State<Arc<AppState>>,
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
    render(
        &state,
        "results.html",
        json!({ "task": task, "results": results, "older": older }),
    )
}

async fn result(
    State(state): State<Arc<AppState>>,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    let result = state.store.result(id).await?;
    let task = state.store.task(result.task_id).await?;
    render(
        &state,
        "result.html",
        json!({ "result": result, "task": task }),
    )
}

async fn agents(State(state): State<Arc<AppState>>) -> Result<Html<String>, PageError> {
    let agents = state.store.agents().await?;
    render(&state, "agents.html", json!({ "agents": agents }))
}

async fn alerts(
    State(state): State<Arc<AppState>>,
    Query(q): Query<HistoryQuery>,
) -> Result<Html<String>, PageError> {
    let alerts = state.store.alerts_page(q.before, ALERTS_PER_PAGE).await?;
    let pending = state.store.pending_deliveries().await?;
    let older = (alerts.len() as i64 == ALERTS_PER_PAGE)
        .then(|| alerts.last().map(|a| a.alert.id))
        .flatten();
    render(
        &state,
        "alerts.html",
        json!({ "alerts": alerts, "older": older, "pending": pending }),
    )
}

async fn style() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLE,
    )
}
