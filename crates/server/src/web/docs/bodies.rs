//! Schemas of the JSON bodies that handlers build with `json!` (the reference's shapes), and
//! of the error body of [`crate::web::Error`]. They only describe JSON: nothing builds them.
//! The API tests check real responses against the served spec, so a handler whose body drifts
//! from its schema fails there.
#![allow(dead_code)]

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use utoipa::{ToResponse, ToSchema};

use super::wire::Severity;
use crate::store::{AlertView, SeverityCounts, TaskView};

/// The body of every error answer.
#[derive(ToSchema)]
#[schema(as = Error, example = json!({"detail": "Not found"}))]
pub struct ErrorBody {
    /// What went wrong, for a human.
    detail: String,
}

/// 401: no valid credentials (the agent token or the session cookie).
#[derive(ToResponse)]
#[response(description = "Not authenticated, or bad credentials",
    example = json!({"detail": "Not authenticated: log in first"}))]
pub struct Unauthorized(ErrorBody);

/// 403: authenticated, but not as the agent named.
#[derive(ToResponse)]
#[response(description = "The token belongs to another agent than the one named",
    example = json!({"detail": "This token belongs to agent paris-1, not to agent lyon-2"}))]
pub struct Forbidden(ErrorBody);

/// 404: nothing there.
#[derive(ToResponse)]
#[response(description = "Not found", example = json!({"detail": "Not found"}))]
pub struct NotFound(ErrorBody);

/// 422: a body that is not what the operation takes.
#[derive(ToResponse)]
#[response(description = "The body is not JSON of the expected shape (or is over the size limit)",
    example = json!({"detail": "Failed to deserialize the JSON body into the target type"}))]
pub struct Unprocessable(ErrorBody);

/// 400: a query parameter that does not parse or is out of its documented range.
#[derive(ToResponse)]
#[response(description = "A query parameter is not an integer, or is out of its range",
    example = json!({"detail": "limit must be from 1 to 500, not 0"}))]
pub struct BadQuery(ErrorBody);

/// 503: the database cannot be used right now (down, restarting, locked, disk full); the
/// cause is logged on the server. Comes with `Retry-After`.
#[derive(ToResponse)]
#[response(description = "The database is unavailable for now: try again later (`Retry-After`)",
    example = json!({"detail": "The database is unavailable (the connection failed); try again later"}))]
pub struct Unavailable(ErrorBody);

/// 500: the cause is logged on the server, never shown.
#[derive(ToResponse)]
#[response(description = "Internal error (logged on the server)",
    example = json!({"detail": "Internal server error"}))]
pub struct Internal(ErrorBody);

/// `POST /api/results`.
#[derive(ToSchema)]
pub struct ResultIds {
    /// The ids of the stored results, in the order posted; results for tasks not leased to
    /// this agent are left out.
    result_ids: Vec<i64>,
}

/// `GET /api/app/`.
#[derive(ToSchema)]
pub struct Summary {
    severities: SeverityCounts,
    /// Number of known agents.
    agents: i64,
    /// Tasks due and not leased.
    waiting_tasks: i64,
}

/// `GET /api/app/version`.
#[derive(ToSchema)]
pub struct Version {
    /// The server's version.
    #[schema(example = "0.1.0")]
    argos_monitoring: String,
    /// Whether the request carried a valid session.
    logged_in: bool,
}

/// `GET /api/app/domains`.
#[derive(ToSchema)]
pub struct Domains {
    /// Each domain's distinct severities, worst first.
    domains: BTreeMap<String, Vec<Severity>>,
    /// Each domain's latest check (RFC 3339), or `"Waiting to be checked"`.
    domains_last_checks: BTreeMap<String, String>,
    /// Tasks in every domain (on every page).
    total_task_count: i64,
    /// Domains (on every page).
    total_domain_count: i64,
}

/// `GET /api/app/agents`.
#[derive(ToSchema)]
pub struct Agents {
    /// Each agent's last contact.
    agents: BTreeMap<String, DateTime<Utc>>,
}

/// `GET /api/app/domain/{netloc}`.
#[derive(ToSchema)]
pub struct DomainTasks {
    /// The `host[:port]` asked for.
    domain: String,
    /// Its tasks, each with its latest result.
    tasks: Vec<TaskView>,
}

/// `GET /api/app/alerts`.
#[derive(ToSchema)]
pub struct Alerts {
    /// Newest first.
    alerts: Vec<AlertView>,
    /// The `before` of the next page; null on the last page.
    next_before: Option<i64>,
}

/// `GET /healthz`.
#[derive(ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    status: String,
    /// `sqlite` or `postgresql`.
    #[schema(example = "sqlite")]
    database: String,
}
