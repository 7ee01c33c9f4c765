//! The dashboard (`/`): the four severity tiles (each opens the domains of that severity),
//! the agents and how far behind they are, the latest confirmed changes, the maintenance
//! windows open now, and an optional auto-refresh whose interval the visitor picks (kept in
//! a cookie, no JavaScript).
//!
//! It reads the task counts (one `GROUP BY` over tasks), the agents table, one indexed
//! `min(next_run)` and the newest page of alerts: nothing grows with history.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

use super::pages::{PageError, render_page};
use crate::auth::{self, Visitor, session};
use crate::state::AppState;
use crate::store::AlertKind;
use argos_checks::Severity;

/// The refresh intervals offered, in seconds (0: off).
pub const REFRESH_CHOICES: [u32; 5] = [0, 30, 60, 300, 900];
/// The cookie that remembers the visitor's choice.
pub const REFRESH_COOKIE: &str = "argos_refresh";
/// Latest changes listed.
pub const RECENT_CHANGES: usize = 10;
/// An agent seen within this many seconds counts as active.
pub const ACTIVE_AGENT_SECONDS: i64 = 300;

#[derive(Debug, Deserialize)]
pub(crate) struct DashboardQuery {
    refresh: Option<u32>,
}

/// `GET /`.
pub(crate) async fn page(
    State(state): State<Arc<AppState>>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
    Query(q): Query<DashboardQuery>,
) -> Result<Response, PageError> {
    let chosen = q.refresh.filter(|r| REFRESH_CHOICES.contains(r));
    let refresh = chosen.or_else(|| {
        session::cookie(&headers, REFRESH_COOKIE)
            .and_then(|v| v.parse().ok())
            .filter(|r| REFRESH_CHOICES.contains(r))
    });
    let mut ctx = context(&state).await?;
    ctx["refresh"] = json!(refresh.filter(|r| *r > 0));
    ctx["refresh_choice"] = json!(refresh.unwrap_or(0));
    ctx["refresh_choices"] = json!(REFRESH_CHOICES);
    let mut resp = render_page(&state, &visitor, "index.html", ctx)?.into_response();
    if let Some(r) = chosen {
        let jar = auth::cookie_jar(&state.config().general, &headers);
        let year = chrono::Duration::days(365);
        if let Ok(v) = HeaderValue::from_str(&jar.set(REFRESH_COOKIE, &r.to_string(), Some(year))) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(resp)
}

async fn context(state: &AppState) -> Result<Value, PageError> {
    let now = Utc::now();
    let counts = state.store.severity_counts().await?;
    let agents = state.store.agents().await?;
    let active = agents
        .iter()
        .filter(|a| (now - a.last_seen).num_seconds() <= ACTIVE_AGENT_SECONDS)
        .count();
    let lag = state
        .store
        .oldest_waiting(now)
        .await?
        .map(|t| (now - t).num_seconds().max(0));
    let waiting = state.store.waiting_count(now).await?;
    let changes: Vec<_> = state
        .store
        .alerts_page(None, 50)
        .await?
        .into_iter()
        .filter(|a| a.alert.kind == AlertKind::Change)
        .take(RECENT_CHANGES)
        .map(|a| a.alert)
        .collect();
    let tiles: Vec<Value> = [
        (Severity::Critical, counts.critical),
        (Severity::Warning, counts.warning),
        (Severity::Unknown, counts.unknown),
        (Severity::Ok, counts.ok),
    ]
    .into_iter()
    .map(|(s, n)| json!({ "severity": s, "count": n }))
    .collect();
    let rules = state.rules();
    let windows: Vec<&str> = rules
        .windows()
        .iter()
        .filter(|w| w.is_open(now))
        .map(|w| w.name.as_str())
        .collect();
    Ok(json!({
        "tiles": tiles,
        "total": counts.ok + counts.warning + counts.critical + counts.unknown,
        "agents": agents.len(),
        "active_agents": active,
        "waiting": waiting,
        "lag": lag.map(human_seconds),
        "lagging": lag.is_some_and(|s| s > 60),
        "changes": changes,
        "maintenance": windows,
    }))
}

/// `95` → "1 min 35 s"; `7300` → "2 h 1 min".
pub fn human_seconds(s: i64) -> String {
    match s {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        s if s < 86_400 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        s => format!("{} d {} h", s / 86_400, (s % 86_400) / 3600),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(super::human_seconds(5), "5 s");
        assert_eq!(super::human_seconds(95), "1 min 35 s");
        assert_eq!(super::human_seconds(7300), "2 h 1 min");
        assert_eq!(super::human_seconds(90_000), "1 d 1 h");
    }
}
