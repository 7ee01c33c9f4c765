//! The no-agent alert: once when no agent has leased or reported for
//! `recurring_tasks.time_without_agent` (agents poll while idle, so silence means trouble),
//! once more when one comes back.
//!
//! Not at start-up on an empty store or after downtime: the server's own start counts as
//! activity, so agents get `time_without_agent` to show up. Once across server processes:
//! the state lives in the store and moves by compare-and-set, in the transaction that writes
//! the alert.

use std::time::Duration;

use argos_checks::Severity;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Rules;
use crate::store::{self, AlertKind, NewAlert, Store};

/// The key of the state in the store's meta table.
pub const META_KEY: &str = "no_agent";

/// What the store remembers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watch {
    /// The no-agent alert went out at this time and no agent was seen since.
    pub alerted_at: Option<DateTime<Utc>>,
}

/// What the agents did, as far as the watch is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Activity {
    /// The latest lease or report of any agent.
    pub last_seen: Option<DateTime<Utc>>,
    /// This server process started.
    pub started: DateTime<Utc>,
}

/// The new watch and the alert to send, if any. Pure.
pub fn decide(
    watch: Watch,
    activity: Activity,
    now: DateTime<Utc>,
    limit: Duration,
) -> (Watch, Option<(AlertKind, DateTime<Utc>)>) {
    let limit = chrono::Duration::from_std(limit).unwrap_or(chrono::Duration::MAX);
    let last = activity
        .last_seen
        .map_or(activity.started, |s| s.max(activity.started));
    match watch.alerted_at {
        None if now - last >= limit => (
            Watch {
                alerted_at: Some(now),
            },
            Some((AlertKind::NoAgent, last)),
        ),
        // Only an agent seen after the alert is a comeback (not this server's restart).
        Some(at) if activity.last_seen.is_some_and(|s| s > at) => (
            Watch { alerted_at: None },
            Some((AlertKind::AgentBack, activity.last_seen.unwrap_or(now))),
        ),
        _ => (watch, None),
    }
}

/// Checks the agents at `now` and writes the alert when the watch changes. Returns the
/// alert's kind when this process wrote one.
///
/// # Errors
/// Store errors.
pub async fn check(
    store: &Store,
    rules: &Rules,
    started: DateTime<Utc>,
    limit: Duration,
    now: DateTime<Utc>,
) -> Result<Option<AlertKind>, store::Error> {
    let stored = store.get_meta(META_KEY).await?;
    let watch = stored
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Watch { alerted_at: None });
    let agents = store.agents().await?;
    let activity = Activity {
        last_seen: agents.iter().map(|a| a.last_seen).max(),
        started,
    };
    let (next, alert) = decide(watch, activity, now, limit);
    let Some((kind, since)) = alert else {
        return Ok(None);
    };
    let minutes = limit.as_secs() / 60;
    let detail = match kind {
        AlertKind::NoAgent => format!(
            "No agent has leased or reported anything for {minutes} minute(s). \
             You should check what’s going on with your Argos agents."
        ),
        _ => format!(
            "An agent was seen at {}.",
            since.format("%Y-%m-%d %H:%M:%S UTC")
        ),
    };
    let alert = NewAlert {
        kind,
        task: None,
        result_id: None,
        previous: None,
        severity: if kind == AlertKind::NoAgent {
            Severity::Critical
        } else {
            Severity::Ok
        },
        since,
        detail: Some(detail),
        channels: rules.no_agent_recipients(),
    };
    let next = serde_json::to_string(&next).expect("a watch serialises");
    let won = store
        .swap_meta_with_alert(META_KEY, stored.as_deref(), &next, &alert, now)
        .await?;
    Ok(won.then_some(kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600 + minute * 60, 0).unwrap()
    }

    const LIMIT: Duration = Duration::from_secs(5 * 60);

    fn step(w: Watch, seen: Option<i64>, started: i64, now: i64) -> (Watch, Option<AlertKind>) {
        let activity = Activity {
            last_seen: seen.map(at),
            started: at(started),
        };
        let (w, a) = decide(w, activity, at(now), LIMIT);
        (w, a.map(|(k, _)| k))
    }

    #[test]
    fn nothing_at_start_up_even_on_an_empty_store() {
        let idle = Watch { alerted_at: None };
        assert_eq!(step(idle, None, 0, 0).1, None);
        assert_eq!(step(idle, None, 0, 4).1, None);
        // Agents seen long ago, server just restarted: give them time.
        assert_eq!(step(idle, Some(-600), 0, 1).1, None);
    }

    #[test]
    fn one_alert_then_one_comeback() {
        let idle = Watch { alerted_at: None };
        let (w, a) = step(idle, Some(0), 0, 5);
        assert_eq!(a, Some(AlertKind::NoAgent));
        // Still silent: nothing more, minute after minute.
        for now in 6..20 {
            assert_eq!(step(w, Some(0), 0, now), (w, None));
        }
        // A server restart is not an agent.
        assert_eq!(step(w, Some(0), 30, 31).1, None);
        let (w, a) = step(w, Some(40), 30, 41);
        assert_eq!(a, Some(AlertKind::AgentBack));
        assert_eq!(w.alerted_at, None);
        assert_eq!(step(w, Some(41), 30, 42).1, None);
    }

    #[test]
    fn no_agent_ever_alerts_once_the_server_has_waited() {
        let (_, a) = step(Watch { alerted_at: None }, None, 0, 5);
        assert_eq!(a, Some(AlertKind::NoAgent));
    }
}
