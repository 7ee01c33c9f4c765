//! What evaluating one check gives: a status and a context. A failed check is an `Outcome`,
//! never an `Err` (the agent reports it like any other result).

use serde_json::{Map, Value, json};

use crate::reason::Reason;
use crate::wire::{AgentResult, Status};

/// The result of evaluating one check against one response (or one failed request).
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// What the agent found.
    pub status: Status,
    /// Facts for the result page; the shape per check follows the reference (§2.2).
    pub context: Map<String, Value>,
}

impl Outcome {
    /// An outcome with an explicit status.
    pub fn new(status: Status, context: Map<String, Value>) -> Outcome {
        Outcome { status, context }
    }

    /// `Success` when `passed`, otherwise `Failure`.
    pub fn pass_fail(passed: bool, context: Map<String, Value>) -> Outcome {
        let status = if passed {
            Status::Success
        } else {
            Status::Failure
        };
        Outcome { status, context }
    }

    /// A check that could not be evaluated (status `error`, severity `unknown`), in the
    /// reference's error shape so its templates and ours can show it.
    pub fn error(error_type: &str, message: impl Into<String>) -> Outcome {
        Outcome::problem(Status::Error, error_type, "check-error", message)
    }

    /// A request that failed (status `failure`), with a machine-readable `reason`
    /// (`timeout`, `dns`, `connect`, `tls-expired`, ...).
    pub fn request_failed(reason: Reason, message: impl Into<String>) -> Outcome {
        Outcome::problem(
            Status::Failure,
            reason.error_type(),
            reason.as_str(),
            message,
        )
    }

    fn problem(
        status: Status,
        error_type: &str,
        reason: &str,
        message: impl Into<String>,
    ) -> Outcome {
        let message = message.into();
        let Value::Object(context) = json!({
            "error_message": message,
            "error_type": error_type,
            "error_details": message,
            "reason": reason,
        }) else {
            unreachable!("json! of an object literal is an object")
        };
        Outcome { status, context }
    }

    /// Adds one fact to the context.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Outcome {
        self.context.insert(key.to_owned(), value.into());
        self
    }

    /// The wire form for task `task_id`.
    pub fn into_result(self, task_id: i64, elapsed_ms: Option<f64>) -> AgentResult {
        AgentResult {
            task_id,
            status: self.status,
            context: Value::Object(self.context),
            elapsed_ms,
        }
    }
}
