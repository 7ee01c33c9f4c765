//! The alert state machine of one task: pure, no store, no channel, no clock.
//!
//! A task has a **confirmed** severity (what Argos believes) and a **notified** one (what
//! people were last told). Observations move the confirmed severity only after enough
//! consecutive agreeing results; whenever the confirmed severity differs from the notified
//! one and no maintenance window holds alerts back, one event goes out and the notified
//! severity follows. This fixes the reference's counter (§6.2): no duplicate after a first
//! failure, a recovery for every alerted failure and never for one that was not, successes
//! reset the count, and a new task's first ok result says nothing.
//!
//! - A non-ok severity is confirmed after `retry_before_notification + 1` consecutive non-ok
//!   results (the latest one wins: ok → warning → critical with R = 1 confirms critical).
//! - A change between non-ok severities (warning → critical) is confirmed the same way.
//! - Ok is confirmed after `recovery_threshold` consecutive ok results (default 1).
//! - While the notified severity is not ok, a reminder goes out every `reminder` (optional).
//! - In maintenance, confirmation goes on but nothing is sent; when the window ends, the
//!   first result after it sends one event if the confirmed severity then differs from what
//!   was notified before the window.

use argos_checks::Severity;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// What one task's alerting remembers between results (stored with the task).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertState {
    /// The severity Argos considers established.
    pub confirmed: Severity,
    /// The severity people were last told about (ok for a task that never alerted).
    pub notified: Severity,
    /// Consecutive results that disagree with `confirmed` in the same direction.
    #[serde(default)]
    pub streak: u32,
    /// The latest of those results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate: Option<Severity>,
    /// When `confirmed` last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<DateTime<Utc>>,
    /// When the last alert or reminder went out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notified_at: Option<DateTime<Utc>>,
}

impl Default for AlertState {
    /// A new task: nothing confirmed against it, nobody told anything.
    fn default() -> AlertState {
        AlertState {
            confirmed: Severity::Ok,
            notified: Severity::Ok,
            streak: 0,
            candidate: None,
            since: None,
            notified_at: None,
        }
    }
}

impl AlertState {
    /// A change of the confirmed severity is under way (the scheduler re-checks sooner).
    pub fn is_pending(&self) -> bool {
        self.candidate.is_some()
    }
}

/// A task's alerting settings (from its website, or `general`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Extra consecutive non-ok results needed before a non-ok severity is confirmed.
    pub retry_before_notification: u32,
    /// Consecutive ok results needed to confirm a recovery (at least 1).
    pub recovery_threshold: u32,
    /// Remind every so often while the notified severity is not ok.
    pub reminder: Option<Duration>,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            retry_before_notification: 0,
            recovery_threshold: 1,
            reminder: None,
        }
    }
}

/// One result, as alerting sees it. Severity alone decides (status only explains it), so
/// that later several locations can feed one observation per quorum the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    /// The result's severity.
    pub severity: Severity,
    /// When it was received.
    pub at: DateTime<Utc>,
    /// A maintenance window covers the task now: alerts are held.
    pub in_maintenance: bool,
}

/// What to tell people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// The confirmed severity changed (to ok: a recovery).
    Change,
    /// Still not ok, `reminder` after the previous alert.
    Reminder,
}

/// One alert to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// Change or reminder.
    pub kind: EventKind,
    /// What people were told before.
    pub previous: Severity,
    /// The severity now.
    pub severity: Severity,
    /// Since when the task has been in `severity`.
    pub since: DateTime<Utc>,
}

/// Steps `state` with one observation: the new state and the event to send, if any.
pub fn step(state: AlertState, obs: Observation, policy: &Policy) -> (AlertState, Option<Event>) {
    let mut s = confirm(state, obs, policy);
    if obs.in_maintenance {
        return (s, None);
    }
    let since = s.since.unwrap_or(obs.at);
    let event = if s.confirmed != s.notified {
        Some(Event {
            kind: EventKind::Change,
            previous: s.notified,
            severity: s.confirmed,
            since,
        })
    } else if reminder_due(&s, obs.at, policy) {
        Some(Event {
            kind: EventKind::Reminder,
            previous: s.notified,
            severity: s.notified,
            since,
        })
    } else {
        None
    };
    if event.is_some() {
        s.notified = s.confirmed;
        s.notified_at = Some(obs.at);
    }
    (s, event)
}

/// Moves the confirmed severity when enough consecutive results agree.
fn confirm(mut s: AlertState, obs: Observation, policy: &Policy) -> AlertState {
    let sev = obs.severity;
    if sev == s.confirmed {
        s.streak = 0;
        s.candidate = None;
        return s;
    }
    let is_ok = sev == Severity::Ok;
    // A streak counts results pulling the same way: towards ok, or away from it.
    let same_direction = s.candidate.is_some_and(|c| (c == Severity::Ok) == is_ok);
    s.streak = if same_direction {
        s.streak.saturating_add(1)
    } else {
        1
    };
    s.candidate = Some(sev);
    let needed = if is_ok {
        policy.recovery_threshold.max(1)
    } else {
        policy.retry_before_notification.saturating_add(1)
    };
    if s.streak >= needed {
        s.confirmed = sev;
        s.since = Some(obs.at);
        s.streak = 0;
        s.candidate = None;
    }
    s
}

fn reminder_due(s: &AlertState, now: DateTime<Utc>, policy: &Policy) -> bool {
    let (Some(every), Some(last)) = (policy.reminder, s.notified_at) else {
        return false;
    };
    s.notified != Severity::Ok && s.confirmed == s.notified && now - last >= every
}
