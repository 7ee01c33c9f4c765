//! The agent API of Argos Panoptès (§4.2): `GET /api/tasks` and `POST /api/results`, with a
//! bearer token. The Python agent and ours both use it.
//!
//! Who the agent is: with a shared token (`service.secrets`, the Python agent's protocol),
//! whoever it says it is (`?agent_id=`, else its address), unless that name has a token of
//! its own; with an agent's own token (`argos server agent-token add`), the agent the token
//! is bound to, and naming another one is refused (403). Ingestion then takes a result only
//! from the agent holding its task (and, when the result names its lease, only for that
//! lease), so no token holder can answer for another agent's tasks.

use std::net::SocketAddr;
use std::sync::Arc;

use argos_checks::{AgentResult, Task};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::auth::agent_token;
use crate::state::AppState;
use crate::web::Error;
use crate::web::docs::{self, Forbidden, Internal, Unauthorized, Unavailable, Unprocessable};

/// Largest results batch accepted. The Python agent posts whole JSON bodies in its contexts.
const RESULTS_BODY_LIMIT: usize = 32 * 1024 * 1024;

/// `/api/tasks` and `/api/results`, each with its OpenAPI description (see [`docs`]).
pub fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::default()
        .routes(routes!(tasks))
        .routes(routes!(results).layer(axum::extract::DefaultBodyLimit::max(RESULTS_BODY_LIMIT)))
}

/// A request that carried a valid agent token.
pub enum Agent {
    /// One of `service.secrets`: the agent is the one it names.
    Shared,
    /// An agent's own token: the request is that agent's.
    Own(String),
}

impl FromRequestParts<Arc<AppState>> for Agent {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Agent, Error> {
        let header = parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        let Some(token) = header.and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        }) else {
            return Err(Error::Unauthorized("Not authenticated"));
        };
        let token = token.trim();
        if state.is_agent_token(token) {
            return Ok(Agent::Shared);
        }
        match state
            .store
            .agent_token_owner(&agent_token::hash(token))
            .await?
        {
            Some(name) => Ok(Agent::Own(name)),
            None => Err(Error::Unauthorized("Unauthorized")),
        }
    }
}

impl Agent {
    /// The agent this request acts as: see the module docs. `given` is `?agent_id=`.
    async fn name(
        self,
        state: &AppState,
        given: Option<String>,
        peer: SocketAddr,
    ) -> Result<String, Error> {
        let given = given.filter(|s| !s.trim().is_empty());
        let refuse = |why: String| {
            tracing::warn!(%peer, "agent request refused: {why}");
            Err(Error::Forbidden(why))
        };
        match self {
            Agent::Own(name) => match given {
                Some(other) if other != name => refuse(format!(
                    "This token belongs to agent {name}, not to agent {other}"
                )),
                _ => Ok(name),
            },
            Agent::Shared => {
                let name = agent_name(given, peer);
                if state.store.has_agent_token(&name).await? {
                    return refuse(format!(
                        "Agent {name} has a token of its own: a shared secret cannot act for it"
                    ));
                }
                Ok(name)
            }
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct TasksQuery {
    /// Tasks leased at most.
    #[serde(default = "default_limit")]
    #[param(default = 10)]
    limit: u32,
    /// The agent's name (default: its IP address).
    agent_id: Option<String>,
}

fn default_limit() -> u32 {
    10
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ResultsQuery {
    /// The agent's name (default: its IP address); the one the tasks were leased to.
    agent_id: Option<String>,
}

/// The agent's name, or its address when it gives none (as the reference does).
fn agent_name(given: Option<String>, peer: SocketAddr) -> String {
    given
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| peer.ip().to_string())
}

/// Leases due tasks to the calling agent.
///
/// The tasks are locked for this agent until it posts their results or the lease expires
/// (`recurring_tasks.max_lock_seconds`).
#[utoipa::path(get, path = "/api/tasks", tag = "agent", security(("agent_token" = [])),
    params(TasksQuery),
    responses(
        (status = 200, description = "The leased tasks (maybe none)", body = [docs::wire::Task]),
        (status = 400, description = "A query parameter is not valid",
            body = String, content_type = "text/plain"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
async fn tasks(
    caller: Agent,
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: axum::http::HeaderMap,
    Query(q): Query<TasksQuery>,
) -> Result<Json<Vec<Task>>, Error> {
    let agent = caller.name(&state, q.agent_id, peer).await?;
    let version = user_agent(&headers);
    Ok(Json(
        state.lease_as(&agent, version.as_deref(), q.limit).await?,
    ))
}

/// The agent's User-Agent (its name and version), at most 120 characters.
fn user_agent(headers: &axum::http::HeaderMap) -> Option<String> {
    let ua = headers.get(axum::http::header::USER_AGENT)?.to_str().ok()?;
    let ua: String = ua.trim().chars().take(120).collect();
    (!ua.is_empty()).then_some(ua)
}

/// Posts the results of leased tasks.
///
/// Results for tasks not leased to this agent, or naming another lease than the task's
/// (`lease_id`: a late result of an earlier run), are refused: left out of `result_ids`.
#[utoipa::path(post, path = "/api/results", tag = "agent", security(("agent_token" = [])),
    params(ResultsQuery),
    request_body = [docs::wire::AgentResult],
    responses(
        (status = 201, description = "The results were stored", body = docs::ResultIds),
        (status = 400, description = "A query parameter is not valid",
            body = String, content_type = "text/plain"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 422, response = Unprocessable),
        (status = 500, response = Internal),
        (status = 503, response = Unavailable),
    )
)]
async fn results(
    caller: Agent,
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(q): Query<ResultsQuery>,
    body: Result<Json<Vec<AgentResult>>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), Error> {
    let agent = caller.name(&state, q.agent_id, peer).await?;
    let Json(results) =
        body.map_err(|e| Error::BadRequest(StatusCode::UNPROCESSABLE_ENTITY, e.body_text()))?;
    let ingested = state.ingest(&agent, &results).await?;
    if ingested.len() < results.len() {
        tracing::warn!(agent = %agent, posted = results.len(), accepted = ingested.len(),
            refused = results.len() - ingested.len(),
            "results for tasks not leased to this agent (or from an earlier lease) were refused");
    }
    let ids: Vec<i64> = ingested.iter().map(|i| i.result_id).collect();
    Ok((StatusCode::CREATED, Json(json!({ "result_ids": ids }))))
}
