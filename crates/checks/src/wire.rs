//! The agent wire format: what the server hands out (`Task`) and what agents post back
//! (`AgentResult`).
//!
//! The JSON shapes are those of Argos Panoptès (`GET /api/tasks`, `POST /api/results`), so
//! its Python agent keeps working against our server. A few optional fields are ours: tasks
//! may carry `request_options` (absent unless a path sets some) and `lease_id`, results
//! `elapsed_ms` and `lease_id` (the task's, echoed: the server then takes the result only
//! for that very lease, not a late one from an earlier lease of the task). The Python agent
//! ignores the task fields, and its results simply lack the result fields.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use crate::options::RequestOptions;

/// Request groups one `GET /api/tasks` hands out at most, whatever its `limit`: an agent that
/// gets fewer than it asked for (and than this) knows nothing else was due.
pub const MAX_LEASE_GROUPS: u32 = 1_000;

/// Whether the agent could do the check (reference §0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The expectation was met.
    Success,
    /// The expectation was not met, or the request failed.
    Failure,
    /// The check itself could not be evaluated (bad expectation, unparsable body, ...).
    Error,
    /// The server finishes the check (certificate expiry against thresholds).
    OnCheck,
}

impl Status {
    /// The name used in JSON and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::Failure => "failure",
            Status::Error => "error",
            Status::OnCheck => "on-check",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::Success,
            Status::Failure,
            Status::Error,
            Status::OnCheck,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// How bad the outcome is. Ordered from best to worst for display; `Unknown` ranks between
/// `Warning` and `Critical` would hide outages, so the worst-first order is critical, unknown,
/// warning, ok (see [`Severity::rank`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// All good.
    Ok,
    /// Needs attention soon (e.g. a certificate about to expire).
    Warning,
    /// Broken.
    Critical,
    /// Could not tell (never checked, or the check errored).
    Unknown,
}

impl Severity {
    /// Every severity, in the order the dashboard shows them.
    pub const ALL: [Severity; 4] = [
        Severity::Ok,
        Severity::Warning,
        Severity::Critical,
        Severity::Unknown,
    ];

    /// The name used in JSON, in the store and in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
            Severity::Unknown => "unknown",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Higher is worse: ok 0, warning 1, unknown 2, critical 3.
    pub fn rank(self) -> u8 {
        match self {
            Severity::Ok => 0,
            Severity::Warning => 1,
            Severity::Unknown => 2,
            Severity::Critical => 3,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The IP family a task is run over. On the wire it is the string `"4"` or `"6"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum IpVersion {
    /// IPv4 only (A records).
    #[serde(rename = "4")]
    V4,
    /// IPv6 only (AAAA records).
    #[serde(rename = "6")]
    V6,
}

impl IpVersion {
    /// `"4"` or `"6"`.
    pub fn as_str(self) -> &'static str {
        match self {
            IpVersion::V4 => "4",
            IpVersion::V6 => "6",
        }
    }

    /// Parses `"4"` or `"6"`.
    pub fn parse(s: &str) -> Option<IpVersion> {
        match s {
            "4" => Some(IpVersion::V4),
            "6" => Some(IpVersion::V6),
            _ => None,
        }
    }
}

/// HTTP methods a path may use (upper case, as in the reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
#[allow(missing_docs)]
pub enum Method {
    Get,
    Head,
    Post,
    Options,
    Connect,
    Trace,
    Put,
    Patch,
    Delete,
}

impl Method {
    /// Every method, in the reference's order.
    pub const ALL: [Method; 9] = [
        Method::Get,
        Method::Head,
        Method::Post,
        Method::Options,
        Method::Connect,
        Method::Trace,
        Method::Put,
        Method::Patch,
        Method::Delete,
    ];

    /// The upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Options => "OPTIONS",
            Method::Connect => "CONNECT",
            Method::Trace => "TRACE",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// Parses an upper-case name.
    pub fn parse(s: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// A path's `request_data`, stored in a task as JSON text `{"data", "json", "headers"}`
/// exactly as Argos Panoptès stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestData {
    /// The body: a JSON body when `json` is true, otherwise a form (map) or raw text (string).
    #[serde(default)]
    pub data: serde_json::Value,
    /// Send `data` as JSON.
    #[serde(default)]
    pub json: bool,
    /// Extra request headers.
    #[serde(default)]
    pub headers: Option<BTreeMap<String, String>>,
}

impl RequestData {
    /// The JSON text stored in the task (key order fixed, so equal data gives equal text).
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).expect("a RequestData always serialises")
    }

    /// Parses the stored JSON text.
    ///
    /// # Errors
    /// When the text is not the `{"data","json","headers"}` object.
    pub fn from_text(text: &str) -> Result<RequestData, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// One task as handed to an agent (the reference's `Task` schema, §4.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct Task {
    pub id: i64,
    pub url: String,
    pub domain: String,
    pub ip_version: IpVersion,
    pub check: String,
    pub method: Method,
    pub request_data: Option<String>,
    pub add_alerts_recipients: Option<String>,
    pub overwrite_alerts_recipients: Option<String>,
    pub expected: String,
    /// Tasks with the same group send the same request; the agent sends it once.
    pub task_group: String,
    pub retry_before_notification: i32,
    pub contiguous_failures: i32,
    pub selected_at: Option<DateTime<Utc>>,
    pub selected_by: Option<String>,
    /// The path's `timeout`, `follow_redirects` and `max_body_bytes` (ours; absent when the
    /// path sets none, and then the JSON is exactly the reference's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_options: Option<RequestOptions>,
    /// The lease that handed the task out (ours; absent from tasks not leased by our
    /// server). Agents echo it in the task's result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_id: Option<String>,
}

impl Task {
    /// A GET task over IPv4 with no request data, options or lease: what tests, examples and
    /// one-off runs need. `task_group` is left empty (agents recompute groups themselves).
    pub fn get(id: i64, url: &str, check: &str, expected: &str) -> Task {
        Task {
            id,
            url: url.to_owned(),
            domain: url.to_owned(),
            ip_version: IpVersion::V4,
            check: check.to_owned(),
            method: Method::Get,
            request_data: None,
            add_alerts_recipients: None,
            overwrite_alerts_recipients: None,
            expected: expected.to_owned(),
            task_group: String::new(),
            retry_before_notification: 0,
            contiguous_failures: 0,
            selected_at: None,
            selected_by: None,
            request_options: None,
            lease_id: None,
        }
    }
}

/// One result as posted by an agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentResult {
    /// The task this result is for.
    pub task_id: i64,
    /// What the agent found.
    pub status: Status,
    /// Free-form facts; on failure or error, `{error_message, error_type, error_details}`
    /// plus our machine-readable `reason`.
    pub context: serde_json::Value,
    /// Total time of the request in milliseconds (our agent only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<f64>,
    /// The `lease_id` of the task this result answers (our agent only): the server takes
    /// the result only for that lease.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_id: Option<String>,
}

impl AgentResult {
    /// This result, answering `task`'s lease.
    #[must_use]
    pub fn for_lease_of(mut self, task: &Task) -> AgentResult {
        self.lease_id.clone_from(&task.lease_id);
        self
    }
}

/// The group key of a request, in the reference's format
/// `<METHOD>-<ip_version>-<url>-<hash of request_data>`.
///
/// `url` is the URL actually requested (for `http-to-https` the `http://` one), so that all
/// checks needing the same request share it. The hash is SHA-256 where the reference used MD5;
/// agents treat the key as opaque, so only equality matters.
pub fn group_key(method: Method, ip: IpVersion, url: &str, request_data: Option<&str>) -> String {
    let hex = digest(request_data.unwrap_or(""));
    format!("{}-{}-{url}-{hex}", method.as_str(), ip.as_str())
}

/// The first 128 bits of SHA-256, in hex: enough to tell request parts apart in a group key.
pub(crate) fn digest(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    crate::hex::encode(&digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_round_trips_in_the_reference_shape() {
        let json = serde_json::json!({
            "id": 1, "url": "https://example.org/", "domain": "https://example.org/",
            "ip_version": "4", "check": "status-is", "method": "GET", "request_data": null,
            "add_alerts_recipients": null, "overwrite_alerts_recipients": null,
            "expected": "200", "task_group": "GET-4-https://example.org/-x",
            "retry_before_notification": 0, "contiguous_failures": 0,
            "selected_at": "2026-01-02T03:04:05Z", "selected_by": "agent"
        });
        let task: Task = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(task.ip_version, IpVersion::V4);
        assert_eq!(task.method, Method::Get);
        assert_eq!(task.request_options, None);
        let back = serde_json::to_value(&task).unwrap();
        assert_eq!(
            back, json,
            "a task without options is the reference's JSON, unchanged"
        );
    }

    #[test]
    fn request_options_travel_as_one_optional_field() {
        let mut task: Task = serde_json::from_value(serde_json::json!({
            "id": 1, "url": "https://a/", "domain": "https://a/", "ip_version": "6",
            "check": "status-is", "method": "GET", "request_data": null,
            "add_alerts_recipients": null, "overwrite_alerts_recipients": null,
            "expected": "200", "task_group": "g", "retry_before_notification": 0,
            "contiguous_failures": 0, "selected_at": null, "selected_by": null,
            "request_options": {"timeout_ms": 2500, "follow_redirects": 5}
        }))
        .unwrap();
        let options = task.request_options.unwrap();
        assert_eq!((options.timeout_ms, options.redirects()), (Some(2500), 5));
        task.request_options = None;
        let back = serde_json::to_value(&task).unwrap();
        assert!(back.get("request_options").is_none());
    }

    #[test]
    fn result_accepts_the_python_agent_shape() {
        let r: AgentResult = serde_json::from_str(
            r#"{"task_id": 3, "status": "on-check", "context": {"expires_in": 12}}"#,
        )
        .unwrap();
        assert_eq!(r.status, Status::OnCheck);
        assert_eq!((r.elapsed_ms, r.lease_id), (None, None));
    }

    #[test]
    fn the_lease_id_travels_from_the_task_to_its_result_and_is_optional() {
        let json = serde_json::json!({
            "id": 1, "url": "https://a/", "domain": "https://a/", "ip_version": "4",
            "check": "status-is", "method": "GET", "request_data": null,
            "add_alerts_recipients": null, "overwrite_alerts_recipients": null,
            "expected": "200", "task_group": "g", "retry_before_notification": 0,
            "contiguous_failures": 0, "selected_at": null, "selected_by": "a",
            "lease_id": "5f0c"
        });
        let task: Task = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(task.lease_id.as_deref(), Some("5f0c"));
        assert_eq!(serde_json::to_value(&task).unwrap(), json);
        let result = AgentResult {
            task_id: 1,
            status: Status::Success,
            context: serde_json::json!({}),
            elapsed_ms: None,
            lease_id: None,
        };
        let plain = serde_json::to_value(&result).unwrap();
        assert!(plain.get("lease_id").is_none(), "{plain}");
        let echoed = serde_json::to_value(result.for_lease_of(&task)).unwrap();
        assert_eq!(echoed["lease_id"], "5f0c");
    }

    #[test]
    fn request_data_text_is_stable() {
        let rd = RequestData {
            data: serde_json::json!({"login": "admin"}),
            json: true,
            headers: None,
        };
        assert_eq!(
            rd.to_text(),
            r#"{"data":{"login":"admin"},"json":true,"headers":null}"#
        );
        assert_eq!(RequestData::from_text(&rd.to_text()).unwrap(), rd);
    }

    #[test]
    fn group_key_depends_on_every_request_part() {
        let a = group_key(Method::Get, IpVersion::V4, "https://a/", None);
        assert!(a.starts_with("GET-4-https://a/-"));
        assert_ne!(a, group_key(Method::Get, IpVersion::V6, "https://a/", None));
        assert_ne!(
            a,
            group_key(Method::Post, IpVersion::V4, "https://a/", None)
        );
        assert_ne!(
            a,
            group_key(Method::Get, IpVersion::V4, "https://a/", Some("{}"))
        );
    }

    #[test]
    fn severity_rank_puts_critical_worst() {
        let mut v = Severity::ALL.to_vec();
        v.sort_by_key(|s| std::cmp::Reverse(s.rank()));
        assert_eq!(
            v,
            [
                Severity::Critical,
                Severity::Unknown,
                Severity::Warning,
                Severity::Ok
            ]
        );
    }
}
