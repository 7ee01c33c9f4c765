//! What evaluating one check gives: a status and a context. A failed check is an `Outcome`,
//! never an `Err` (the agent reports it like any other result).
//!
//! A context carries excerpts, never bodies: every result is [`bounded`](Outcome::bounded)
//! before it leaves the agent, each value to [`MAX_CONTEXT_VALUE`] bytes of JSON, so that a
//! 4 MiB JSON body does not become tens of MB per check and batches stay postable.

use std::io;

use serde_json::{Map, Value, json};

use crate::reason::Reason;
use crate::wire::{AgentResult, Status};

/// The most JSON one context value may take; a larger value is replaced by an excerpt (a
/// string ending with `…`) and its key listed in the context's `truncated`.
pub const MAX_CONTEXT_VALUE: usize = 4 * 1024;

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

    /// The outcome with every context value cut to [`MAX_CONTEXT_VALUE`]: a long string keeps
    /// its start, any other value becomes an excerpt of its JSON text; the keys cut are listed
    /// in `truncated`. Cheap on large values: at most that many bytes are serialized.
    pub fn bounded(mut self) -> Outcome {
        let mut cut: Vec<Value> = Vec::new();
        for (key, value) in &mut self.context {
            if let Some(excerpt) = excerpt(value, MAX_CONTEXT_VALUE) {
                *value = Value::String(excerpt);
                cut.push(Value::from(key.as_str()));
            }
        }
        if !cut.is_empty() {
            self.context
                .insert("truncated".to_owned(), Value::Array(cut));
        }
        self
    }

    /// The wire form for task `task_id`.
    pub fn into_result(self, task_id: i64, elapsed_ms: Option<f64>) -> AgentResult {
        AgentResult {
            task_id,
            status: self.status,
            context: Value::Object(self.context),
            elapsed_ms,
            lease_id: None,
        }
    }
}

/// The start of `value` (a string's text, otherwise its JSON), when it is longer than `max`.
fn excerpt(value: &Value, max: usize) -> Option<String> {
    let text = match value {
        Value::String(s) if s.len() <= max => return None,
        Value::String(s) => s.as_bytes(),
        _ => {
            let mut writer = Capped {
                out: Vec::new(),
                max,
            };
            // The writer refuses to go past `max`: an error here means "too long".
            if serde_json::to_writer(&mut writer, value).is_ok() {
                return None;
            }
            return Some(cut(&writer.out, max));
        }
    };
    Some(cut(text, max))
}

/// `bytes` cut to at most `max` on a character boundary, with `…` appended.
fn cut(bytes: &[u8], max: usize) -> String {
    let head = &bytes[..bytes.len().min(max)];
    let valid = match std::str::from_utf8(head) {
        Ok(text) => text,
        // The cut fell inside a character: keep what precedes it.
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default(),
    };
    format!("{valid}…")
}

/// A writer that takes `max` bytes, then fails.
struct Capped {
    out: Vec<u8>,
    max: usize,
}

impl io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = self.max - self.out.len();
        if buf.len() > room {
            self.out.extend_from_slice(&buf[..room]);
            return Err(io::Error::other("the value is longer than the cap"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_contexts_are_untouched() {
        let out = Outcome::pass_fail(true, Map::new())
            .with("expected", "x")
            .with("retrieved", json!({"a": [1, 2]}));
        assert_eq!(out.clone().bounded(), out);
    }

    #[test]
    fn large_values_become_excerpts_and_say_so() {
        let long = "é".repeat(MAX_CONTEXT_VALUE);
        let doc = json!({"items": vec!["x"; MAX_CONTEXT_VALUE]});
        let out = Outcome::pass_fail(false, Map::new())
            .with("detail", long)
            .with("retrieved", doc)
            .with("expected", "small")
            .bounded();
        let detail = out.context["detail"].as_str().unwrap();
        assert!(detail.len() <= MAX_CONTEXT_VALUE + "…".len());
        assert!(detail.starts_with("éé") && detail.ends_with('…'));
        let retrieved = out.context["retrieved"].as_str().unwrap();
        assert!(retrieved.starts_with(r#"{"items":["x","x""#), "{retrieved}");
        assert_eq!(out.context["truncated"], json!(["detail", "retrieved"]));
        assert_eq!(out.context["expected"], "small");
    }
}
