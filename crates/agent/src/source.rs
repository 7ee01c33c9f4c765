//! Where an agent gets tasks and sends results.

use std::future::Future;
use std::time::Duration;

use argos_checks::{AgentResult, Outcome, Task};
use serde::Deserialize;
use serde_json::Value;

/// Why talking to the server failed.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The server could not be reached or did not answer in time: retry later.
    #[error("server unreachable: {0}")]
    Unreachable(String),
    /// The server answered with an error status.
    #[error("server answered {status}: {body}")]
    Rejected {
        /// HTTP status code.
        status: u16,
        /// The start of the answer's body.
        body: String,
        /// How long the server asked to wait before trying again (`Retry-After`).
        retry_after: Option<Duration>,
    },
}

impl SourceError {
    /// Whether sending the same request again may succeed. A 4xx other than 401/403/408/429
    /// means the request itself is wrong (e.g. a malformed result), so retrying it would loop
    /// forever.
    pub fn is_transient(&self) -> bool {
        match self {
            SourceError::Unreachable(_) => true,
            SourceError::Rejected { status, .. } => {
                *status >= 500 || matches!(status, 401 | 403 | 408 | 429)
            }
        }
    }

    /// Whether the server answered with a 5xx: it is up, but something failed on its side
    /// (perhaps because of what was sent).
    pub fn is_server_error(&self) -> bool {
        matches!(self, SourceError::Rejected { status, .. } if *status >= 500)
    }

    /// The server's `Retry-After`, if it sent one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SourceError::Rejected { retry_after, .. } => *retry_after,
            SourceError::Unreachable(_) => None,
        }
    }
}

/// What one lease gave.
#[derive(Debug, Default)]
pub struct Lease {
    /// The tasks to run.
    pub tasks: Vec<Task>,
    /// `error` results for leased tasks the agent could not read (a method, an IP version it
    /// does not know...): reporting them at once releases their lease instead of leaving
    /// them locked until it expires.
    pub unreadable: Vec<AgentResult>,
}

impl From<Vec<Task>> for Lease {
    fn from(tasks: Vec<Task>) -> Lease {
        Lease {
            tasks,
            unreadable: Vec::new(),
        }
    }
}

impl Lease {
    /// Reads each leased task on its own, so that one task a newer server describes in a way
    /// this agent does not understand does not make the whole lease unreadable. A task without
    /// a readable `id` cannot be answered: it is logged, and stays leased until its lease
    /// expires.
    pub fn decode(values: Vec<Value>) -> Lease {
        let mut lease = Lease::default();
        for value in values {
            match Task::deserialize(&value) {
                Ok(task) => lease.tasks.push(task),
                Err(e) => match value.get("id").and_then(Value::as_i64) {
                    Some(id) => {
                        let mut result = unreadable(id, &e);
                        result.lease_id = value
                            .get("lease_id")
                            .and_then(Value::as_str)
                            .map(str::to_owned);
                        lease.unreadable.push(result);
                    }
                    None => {
                        tracing::error!(error = %e, "a leased task has no readable id; it stays leased until its lease expires")
                    }
                },
            }
        }
        lease
    }
}

fn unreadable(id: i64, error: &serde_json::Error) -> AgentResult {
    tracing::warn!(task = id, error = %error, "cannot read a leased task; reporting an error for it");
    let message =
        format!("this agent cannot read the task: {error} (is the agent older than the server?)");
    Outcome::error("UnreadableTask", message).into_result(id, None)
}

/// A server's agent API, seen from the agent.
pub trait TaskSource: Send + Sync + 'static {
    /// Leases up to `max_groups` request groups of due tasks.
    fn lease(&self, max_groups: u32) -> impl Future<Output = Result<Lease, SourceError>> + Send;
    /// Hands back finished results.
    fn report(
        &self,
        results: &[AgentResult],
    ) -> impl Future<Output = Result<(), SourceError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn task(id: Value, method: &str) -> Value {
        json!({
            "id": id, "url": "https://example.org/", "domain": "https://example.org/",
            "ip_version": "4", "check": "status-is", "method": method, "request_data": null,
            "add_alerts_recipients": null, "overwrite_alerts_recipients": null,
            "expected": "200", "task_group": "g", "retry_before_notification": 0,
            "contiguous_failures": 0, "selected_at": null, "selected_by": null
        })
    }

    #[test]
    fn one_unreadable_task_does_not_spoil_the_lease() {
        let mut bad_ip = task(json!(3), "GET");
        bad_ip["ip_version"] = json!("5");
        bad_ip["lease_id"] = json!("lease-7");
        let lease = Lease::decode(vec![
            task(json!(1), "GET"),
            task(json!(2), "BREW"),
            bad_ip,
            task(json!("x"), "BREW"),
        ]);
        let ids: Vec<i64> = lease.tasks.iter().map(|t| t.id).collect();
        assert_eq!(ids, [1]);
        let errors: Vec<i64> = lease.unreadable.iter().map(|r| r.task_id).collect();
        assert_eq!(errors, [2, 3]);
        // Its error result answers the lease it came with.
        assert_eq!(lease.unreadable[1].lease_id.as_deref(), Some("lease-7"));
        let r = &lease.unreadable[0];
        assert_eq!(r.status, argos_checks::Status::Error);
        assert_eq!(r.context["error_type"], "UnreadableTask");
        let message = r.context["error_message"].as_str().unwrap();
        assert!(message.contains("BREW"), "{message}");
    }
}
