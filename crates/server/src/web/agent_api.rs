//! The agent API of Argos Panoptès (§4.2): `GET /api/tasks` and `POST /api/results`, with a
//! bearer token from `service.secrets`. The Python agent and ours both use it.

use std::net::SocketAddr;
use std::sync::Arc;

use argos_checks::{AgentResult, Task};
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::state::AppState;
use crate::web::Error;

/// Largest results batch accepted. The Python agent posts whole JSON bodies in its contexts.
const RESULTS_BODY_LIMIT: usize = 32 * 1024 * 1024;

/// `/api/tasks` and `/api/results`.
pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/api/tasks", get(tasks)).route(
        "/api/results",
        post(results).layer(axum::extract::DefaultBodyLimit::max(RESULTS_BODY_LIMIT)),
    )
}

/// A request that carried a valid agent token.
pub struct Agent;

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
        if state.is_agent_token(token.trim()) {
            Ok(Agent)
        } else {
            Err(Error::Unauthorized("Unauthorized"))
        }
    }
}

#[derive(Debug, Deserialize)]
struct TasksQuery {
    #[serde(default = "default_limit")]
    limit: u32,
    agent_id: Option<String>,
}

fn default_limit() -> u32 {
    10
}

#[derive(Debug, Deserialize)]
struct ResultsQuery {
    agent_id: Option<String>,
}

/// The agent's name, or its address when it gives none (as the reference does).
fn agent_name(given: Option<String>, peer: SocketAddr) -> String {
    given
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| peer.ip().to_string())
}

async fn tasks(
    _: Agent,
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(q): Query<TasksQuery>,
) -> Result<Json<Vec<Task>>, Error> {
    let agent = agent_name(q.agent_id, peer);
    Ok(Json(state.lease(&agent, q.limit).await?))
}

async fn results(
    _: Agent,
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(q): Query<ResultsQuery>,
    body: Result<Json<Vec<AgentResult>>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), Error> {
    let Json(results) =
        body.map_err(|e| Error::BadRequest(StatusCode::UNPROCESSABLE_ENTITY, e.body_text()))?;
    let agent = agent_name(q.agent_id, peer);
    let ingested = state.ingest(&agent, &results).await?;
    if ingested.len() < results.len() {
        tracing::warn!(agent = %agent, posted = results.len(), accepted = ingested.len(), "results for tasks not leased to this agent were ignored");
    }
    let ids: Vec<i64> = ingested.iter().map(|i| i.result_id).collect();
    Ok((StatusCode::CREATED, Json(json!({ "result_ids": ids }))))
}
