//! `response-time`: the whole request (DNS, connect, TLS, redirects followed, body) took less
//! than a warning and/or a critical threshold.
//!
//! This is the one check with two failure levels. The agent only knows `success` and
//! `failure`, so a warning is a failure whose context says `severity: warning`, which
//! [`finalize`](crate::finalize()) turns into a warning; anything else failing is critical.
//! A request that fails outright (timeout, refused, bad certificate) is critical like for
//! every check.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Invalid, context, expected};
use crate::Outcome;
use crate::duration;
use crate::probe::{Fetched, millis as millis_of};
use crate::reason::Reason;
use crate::wire::Status;

/// The config name.
pub const NAME: &str = "response-time";

const CONFIG_FORM: &str = r#"a map {warning: <duration>, critical: <duration>} (e.g. {warning: "500ms", critical: "2s"})"#;
const STORED_FORM: &str = r#"{"critical_ms": <ms>, "warning_ms": <ms>}"#;

/// Thresholds in milliseconds; at least one is set, and `warning < critical` when both are.
/// Expected string: `{"critical_ms": 2000, "warning_ms": 500}` (either key may be missing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResponseTime {
    warning_ms: Option<u64>,
    critical_ms: Option<u64>,
}

impl ResponseTime {
    /// The canonical expected string.
    pub fn expected(&self) -> String {
        let mut map = Map::new();
        if let Some(ms) = self.critical_ms {
            map.insert("critical_ms".into(), ms.into());
        }
        if let Some(ms) = self.warning_ms {
            map.insert("warning_ms".into(), ms.into());
        }
        expected::python_json(&Value::Object(map))
    }

    /// Compares the total time of the request. Context: `{expected, retrieved_ms}`, and on
    /// failure `reason: slow`, `detail` and `severity` (`warning` or `critical`).
    pub fn evaluate(&self, fetched: &Fetched) -> Outcome {
        self.judge(fetched.elapsed)
    }

    fn judge(&self, took: Duration) -> Outcome {
        let ms = millis_of(took);
        let ctx = context(json!({"expected": self.expected(), "retrieved_ms": ms}));
        let over = |limit: Option<u64>| limit.filter(|l| took >= Duration::from_millis(*l));
        let (severity, limit) = match (over(self.critical_ms), over(self.warning_ms)) {
            (Some(limit), _) => ("critical", limit),
            (None, Some(limit)) => ("warning", limit),
            (None, None) => return Outcome::new(Status::Success, ctx),
        };
        Outcome::new(Status::Failure, ctx)
            .with("reason", Reason::Slow.as_str())
            .with("severity", severity)
            .with(
                "detail",
                format!(
                    "the response took {ms} ms, more than the {severity} threshold of {limit} ms"
                ),
            )
    }
}

/// The config value (`{warning: "500ms", critical: "2s"}`) as the stored expected string.
pub(crate) fn normalise(value: &Value) -> Result<String, Invalid> {
    let Value::Object(map) = value else {
        return Err(expected::expects(NAME, CONFIG_FORM, &value.to_string()));
    };
    if let Some(key) = map
        .keys()
        .find(|k| !matches!(k.as_str(), "warning" | "critical"))
    {
        return Err(Invalid(format!(
            "{NAME}: unknown key {key:?} (the keys are warning and critical)"
        )));
    }
    let threshold = |key: &str| map.get(key).map(|v| millis(key, v)).transpose();
    let check = ResponseTime::new(threshold("warning")?, threshold("critical")?)?;
    Ok(check.expected())
}

/// A duration string as whole milliseconds (at least 1).
fn millis(key: &str, value: &Value) -> Result<u64, Invalid> {
    let Value::String(text) = value else {
        return Err(Invalid(format!(
            "{NAME}: {key} must be a duration with a unit, such as \"500ms\" or \"2s\", got {value}"
        )));
    };
    let d = duration::parse(text).map_err(|e| Invalid(format!("{NAME}: {key}: {e}")))?;
    match u64::try_from(d.as_millis()) {
        Ok(ms) if ms >= 1 => Ok(ms),
        _ => Err(Invalid(format!(
            "{NAME}: {key} must be at least 1ms, got {text:?}"
        ))),
    }
}

impl ResponseTime {
    fn new(warning_ms: Option<u64>, critical_ms: Option<u64>) -> Result<ResponseTime, Invalid> {
        match (warning_ms, critical_ms) {
            (None, None) => Err(Invalid(format!(
                "{NAME} needs a warning or a critical threshold (or both)"
            ))),
            (Some(w), Some(c)) if w >= c => Err(Invalid(format!(
                "{NAME}: the warning threshold ({w} ms) must be below the critical one ({c} ms)"
            ))),
            _ => Ok(ResponseTime {
                warning_ms,
                critical_ms,
            }),
        }
    }
}

impl TryFrom<String> for ResponseTime {
    type Error = Invalid;

    fn try_from(text: String) -> Result<ResponseTime, Invalid> {
        let bad = || expected::expects(NAME, STORED_FORM, &text);
        let Value::Object(map) = expected::json(NAME, STORED_FORM, &text)? else {
            return Err(bad());
        };
        if map
            .keys()
            .any(|k| !matches!(k.as_str(), "warning_ms" | "critical_ms"))
        {
            return Err(bad());
        }
        let get = |key: &str| match map.get(key) {
            None => Ok(None),
            Some(v) => v.as_u64().filter(|ms| *ms >= 1).map(Some).ok_or_else(bad),
        };
        ResponseTime::new(get("warning_ms")?, get("critical_ms")?)
    }
}

impl From<ResponseTime> for String {
    fn from(check: ResponseTime) -> String {
        check.expected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(value: Value) -> Result<String, Invalid> {
        normalise(&value)
    }

    #[test]
    fn config_durations_become_milliseconds() {
        assert_eq!(
            config(json!({"warning": "500ms", "critical": "2s"})).unwrap(),
            r#"{"critical_ms": 2000, "warning_ms": 500}"#
        );
        assert_eq!(
            config(json!({"critical": "1.5s"})).unwrap(),
            r#"{"critical_ms": 1500}"#
        );
        assert_eq!(
            config(json!({"warning": "1m"})).unwrap(),
            r#"{"warning_ms": 60000}"#
        );
    }

    #[test]
    fn bad_thresholds_explain_themselves() {
        let err = |v| config(v).unwrap_err().0;
        assert!(err(json!("2s")).starts_with("response-time expects a map {warning"));
        assert!(err(json!({})).contains("needs a warning or a critical threshold"));
        assert!(err(json!({"warning": 500})).contains("must be a duration with a unit"));
        assert!(err(json!({"warning": "5 parsecs"})).contains("unknown unit"));
        assert!(err(json!({"warning": "0ms"})).contains("at least 1ms"));
        assert!(err(json!({"warn": "1s"})).contains(r#"unknown key "warn""#));
        assert_eq!(
            err(json!({"warning": "2s", "critical": "1s"})),
            "response-time: the warning threshold (2000 ms) must be below the critical one (1000 ms)"
        );
    }

    #[test]
    fn stored_form_round_trips_strictly() {
        for text in [
            r#"{"critical_ms": 2000, "warning_ms": 500}"#,
            r#"{"warning_ms": 1}"#,
        ] {
            let check = ResponseTime::try_from(text.to_owned()).unwrap();
            assert_eq!(check.expected(), text);
        }
        for bad in ["{}", r#"{"warning_ms": 0}"#, r#"{"x_ms": 1}"#, "500"] {
            assert!(ResponseTime::try_from(bad.to_owned()).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_slowest_threshold_crossed_sets_the_severity() {
        let both = ResponseTime::new(Some(500), Some(2000)).unwrap();
        let at = |ms| both.judge(Duration::from_millis(ms));
        assert_eq!(at(499).status, Status::Success);
        assert_eq!(at(499).context["retrieved_ms"], 499.0);
        let warn = at(500);
        assert_eq!(
            (
                warn.status,
                &warn.context["severity"],
                &warn.context["reason"]
            ),
            (Status::Failure, &json!("warning"), &json!("slow"))
        );
        assert_eq!(
            warn.context["detail"],
            "the response took 500 ms, more than the warning threshold of 500 ms"
        );
        assert_eq!(at(2500).context["severity"], "critical");
        let only_warning = ResponseTime::new(Some(100), None).unwrap();
        assert_eq!(
            only_warning.judge(Duration::from_secs(60)).context["severity"],
            "warning"
        );
        let only_critical = ResponseTime::new(None, Some(100)).unwrap();
        assert_eq!(
            only_critical.judge(Duration::from_millis(99)).status,
            Status::Success
        );
        assert_eq!(
            only_critical.judge(Duration::from_millis(100)).context["severity"],
            "critical"
        );
    }
}
