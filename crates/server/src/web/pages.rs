//! Server-rendered pages. Each page reads only what it shows: the dashboard four counts, the
//! domains list one page of domains, a domain its own tasks with their denormalised last
//! result and their roll-ups (see `domain`). Templates are compiled into the binary and auto-escape HTML (agents and configs
//! supply text that ends up here).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use chrono::Utc;
use minijinja::Environment;
use minijinja::value::Serde;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Visitor;
use crate::state::AppState;
use crate::store::{DomainFilter, DomainSort, Scope, Step};
use argos_checks::Severity;

mod domain;
mod history;

use history::{agents, alerts, result, task_results};

/// Domains shown per page.
pub const DOMAINS_PER_PAGE: i64 = 100;
/// Results shown per page of a task's history.
pub const RESULTS_PER_PAGE: i64 = 50;
/// Alerts shown per page.
pub const ALERTS_PER_PAGE: i64 = 50;

const TEMPLATES: [(&str, &str); 11] = [
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
    ("login.html", include_str!("../../templates/login.html")),
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
        .route("/", get(super::dashboard::page))
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
            other => match other.unavailable() {
                Some(why) => {
                    tracing::error!(error = %other, "the database is unavailable ({why})");
                    PageError(
                        StatusCode::SERVICE_UNAVAILABLE,
                        format!("The database is unavailable ({why}); try again in a moment."),
                    )
                }
                None => {
                    tracing::error!(error = ?other, "store error while rendering a page");
                    PageError(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "The server could not build this page.".into(),
                    )
                }
            },
        }
    }
}

impl PageError {
    /// A form whose CSRF field does not match the visitor's cookies.
    pub fn csrf() -> PageError {
        PageError(
            StatusCode::FORBIDDEN,
            "This form has expired or did not come from this site: go back, reload the page and try again.".into(),
        )
    }

    /// A service the page needs is down.
    pub fn unavailable(why: &str) -> PageError {
        PageError(StatusCode::SERVICE_UNAVAILABLE, why.to_owned())
    }
}

/// A page error on its way out: [`error_pages`] renders it in the site's layout (a handler
/// has no templates at hand when it fails).
#[derive(Debug, Clone)]
pub struct ErrorPage(pub String);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let title = self.0.canonical_reason().unwrap_or("Error");
        let body = format!("{title}: {}", self.1);
        let mut resp = (self.0, body).into_response();
        resp.extensions_mut().insert(ErrorPage(self.1));
        resp
    }
}

/// Middleware: a [`PageError`] becomes `error.html` (the layout, a heading, a way back); the
/// plain text stays if the template cannot render.
pub async fn error_pages(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let visitor = req
        .extensions()
        .get::<Visitor>()
        .cloned()
        .unwrap_or_default();
    let resp = next.run(req).await;
    let Some(ErrorPage(message)) = resp.extensions().get::<ErrorPage>().cloned() else {
        return resp;
    };
    let status = resp.status();
    let title = status.canonical_reason().unwrap_or("Error");
    let ctx = json!({ "title": title, "message": message, "status": status.as_u16() });
    match render_page(&state, &visitor, "error.html", ctx) {
        Ok(html) => (status, html).into_response(),
        Err(_) => resp,
    }
}

/// Renders `name` for `visitor`: the header shows who is logged in, and forms get the
/// visitor's CSRF field.
pub fn render_page(
    state: &AppState,
    visitor: &crate::auth::Visitor,
    name: &str,
    mut ctx: Value,
) -> Result<Html<String>, PageError> {
    ctx["user"] = json!(visitor.user);
    ctx["csrf"] = json!(visitor.csrf);
    let cfg = state.config();
    ctx["login_needed"] = json!(
        cfg.general.unauthenticated_access != Some(crate::config::UnauthenticatedAccess::All)
    );
    render(state, name, ctx)
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

#[derive(Debug, Deserialize)]
struct DomainsQuery {
    s: Option<String>,
    sort: Option<String>,
    q: Option<String>,
    page: Option<i64>,
}

const SORTS: [(&str, &str); 3] = [
    ("severity", "Worst first"),
    ("name", "Name"),
    ("last-check", "Least recently checked"),
];

const FILTERS: [(&str, &str); 6] = [
    ("all", "All"),
    ("not-ok", "Not OK"),
    ("ok", "OK"),
    ("warning", "Warning"),
    ("critical", "Critical"),
    ("unknown", "Unknown"),
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
    Extension(visitor): Extension<Visitor>,
    Query(q): Query<DomainsQuery>,
) -> Result<Html<String>, PageError> {
    let s = q.s.unwrap_or_else(|| "all".into());
    let filter = parse_filter(&s).ok_or_else(|| {
        PageError(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("unknown filter {s:?}: use all, not-ok, ok, warning, critical or unknown"),
        )
    })?;
    let q_sort = q.sort.clone().unwrap_or_else(|| "severity".into());
    let sort = match q.sort.as_deref() {
        None | Some("severity") => DomainSort::Severity,
        Some("name") => DomainSort::Name,
        Some("last-check") => DomainSort::LastCheck,
        Some(other) => {
            return Err(PageError(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("unknown sort {other:?}: use severity, name or last-check"),
            ));
        }
    };
    let search = q.q.unwrap_or_default();
    let page = q.page.unwrap_or(1).max(1);
    let found = state
        .store
        .domains_page(
            filter,
            Some(search.trim()).filter(|s| !s.is_empty()),
            sort,
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
        "sort": q_sort, "sorts": SORTS,
        "prev_page": if page > 1 { Some(page - 1) } else { None },
        "next_page": if page < pages { Some(page + 1) } else { None },
    });
    render_page(&state, &visitor, "domains.html", ctx)
}

#[derive(Debug, Deserialize)]
struct DomainQuery {
    range: Option<String>,
}

/// A domain's tasks, its uptime and its response-time chart: four indexed queries (tasks by
/// netloc, their latest results by id, and two ranges of roll-ups), run together.
async fn domain(
    State(state): State<Arc<AppState>>,
    Extension(visitor): Extension<Visitor>,
    Path(netloc): Path<String>,
    Query(q): Query<DomainQuery>,
) -> Result<Html<String>, PageError> {
    let range = domain::Range::parse(q.range.as_deref()).ok_or_else(|| {
        PageError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown range: use 24h or 7d".into(),
        )
    })?;
    let now = Utc::now();
    let (from, to) = range.period(now);
    let scope = Scope::Domain(&netloc);
    let (tasks, uptimes, certificates, points) = tokio::try_join!(
        state.store.domain_tasks(&netloc),
        state.store.uptimes(scope, now),
        state.store.certificate_expiries(&netloc),
        state.store.response_times(scope, Step::Hour, from, to),
    )?;
    if tasks.is_empty() {
        return Err(PageError(
            StatusCode::NOT_FOUND,
            format!("No task is monitoring {netloc}."),
        ));
    }
    let cfg = state.config();
    let mut ctx = domain::context(&domain::Inputs {
        netloc: &netloc,
        tasks: &tasks,
        uptimes: &uptimes,
        certificates: &certificates,
        points: &points,
        range,
        thresholds: &cfg.ssl.thresholds,
        now,
    });
    ctx["maintenance"] = json!(state.rules().maintenance_of_netloc(&netloc, now));
    render_page(&state, &visitor, "domain.html", ctx)
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
