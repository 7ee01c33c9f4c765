//! Schemas of the `argos-checks` wire types, written here so that the agent does not link
//! utoipa. They only describe JSON: nothing builds them. The tests at the bottom compare them
//! with what the real types serialise to, so a field added to `argos_checks::Task` without its
//! schema fails here.
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use utoipa::ToSchema;

/// Whether the agent could do the check (`argos_checks::Status`).
#[derive(ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The expectation was met.
    Success,
    /// The expectation was not met, or the request failed.
    Failure,
    /// The check itself could not be evaluated.
    Error,
    /// The server finishes the check (certificate expiry against thresholds).
    OnCheck,
}

/// How bad a task's outcome is (`argos_checks::Severity`).
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Ok,
    Warning,
    Critical,
    Unknown,
}

/// The IP family a task runs over: `"4"` or `"6"`.
#[derive(ToSchema)]
pub enum IpVersion {
    #[serde(rename = "4")]
    V4,
    #[serde(rename = "6")]
    V6,
}

/// The HTTP method of a task.
#[derive(ToSchema)]
#[serde(rename_all = "UPPERCASE")]
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

/// How one path's probe differs from the agent's defaults (absent fields: the defaults).
#[derive(ToSchema)]
pub struct RequestOptions {
    /// Deadline of the whole probe, in milliseconds.
    #[schema(minimum = 1)]
    timeout_ms: Option<u64>,
    /// Redirects followed at most.
    follow_redirects: Option<u32>,
    /// Body bytes read at most.
    max_body_bytes: Option<u64>,
    /// Follow redirects to hosts on private, loopback or link-local addresses (absent: no).
    follow_redirects_to_private: Option<bool>,
    /// Send the body and extra headers again on a 307/308 to another origin (absent: no).
    follow_redirects_with_data: Option<bool>,
}

/// One task handed to an agent (Argos Panoptès' `Task` schema).
#[derive(ToSchema)]
pub struct Task {
    /// The task's id, to quote in its result.
    id: i64,
    /// The URL to check.
    url: String,
    /// The website's domain, with its trailing slash.
    domain: String,
    ip_version: IpVersion,
    /// Check name (`status-is`, `body-contains`, `ssl-certificate-expiration`, ...).
    check: String,
    method: Method,
    /// JSON text `{"data", "json", "headers"}` of the request to send.
    request_data: Option<String>,
    /// JSON list of extra alert channels.
    add_alerts_recipients: Option<String>,
    /// JSON list of alert channels replacing the defaults.
    overwrite_alerts_recipients: Option<String>,
    /// The check's expectation, as text.
    expected: String,
    /// Tasks with the same group send the same request; the agent sends it once.
    task_group: String,
    retry_before_notification: i32,
    contiguous_failures: i32,
    /// When the task was leased.
    selected_at: Option<DateTime<Utc>>,
    /// The agent holding the lease.
    selected_by: Option<String>,
    /// Absent when the path sets no request option.
    request_options: Option<RequestOptions>,
    /// The lease that handed the task out (a new one per call): an agent echoes it in the
    /// task's result, which is then taken only for that lease. Agents may ignore it.
    lease_id: Option<String>,
}

/// One result posted by an agent.
#[derive(ToSchema)]
pub struct AgentResult {
    /// The task this result is for (a task leased to this agent).
    task_id: i64,
    status: Status,
    /// Free-form facts; on failure or error, `{error_message, error_type, error_details}`.
    #[schema(value_type = Object)]
    context: serde_json::Value,
    /// Total time of the request in milliseconds.
    elapsed_ms: Option<f64>,
    /// The `lease_id` of the task, echoed. When given, the result is refused unless the task
    /// is still under that very lease (a late result of an earlier run is dropped); without
    /// it, a result counts while its task is leased to this agent.
    lease_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use argos_checks as wire;
    use serde_json::{Value, json};
    use utoipa::PartialSchema;

    use super::*;

    /// The property names of `S`'s schema.
    fn properties<S: PartialSchema>() -> BTreeSet<String> {
        let schema = serde_json::to_value(S::schema()).unwrap();
        schema["properties"]
            .as_object()
            .expect("an object schema")
            .keys()
            .cloned()
            .collect()
    }

    /// The `enum` values of `S`'s schema.
    fn values<S: PartialSchema>() -> BTreeSet<String> {
        let schema = serde_json::to_value(S::schema()).unwrap();
        schema["enum"]
            .as_array()
            .expect("an enum schema")
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    }

    fn keys(v: Value) -> BTreeSet<String> {
        v.as_object().unwrap().keys().cloned().collect()
    }

    fn names<T: serde::Serialize>(all: impl IntoIterator<Item = T>) -> BTreeSet<String> {
        all.into_iter()
            .map(|v| {
                serde_json::to_value(v)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }

    #[test]
    fn task_schema_has_every_field_of_the_wire_task() {
        let mut task = wire::Task::get(1, "https://example.org/", "status-is", "200");
        task.request_options = Some(wire::RequestOptions {
            timeout_ms: Some(1),
            follow_redirects: Some(1),
            max_body_bytes: Some(1),
            follow_redirects_to_private: true,
            follow_redirects_with_data: true,
        });
        task.lease_id = Some("lease".into());
        let json = serde_json::to_value(&task).unwrap();
        assert_eq!(properties::<Task>(), keys(json.clone()));
        assert_eq!(
            properties::<RequestOptions>(),
            keys(json["request_options"].clone())
        );
    }

    #[test]
    fn agent_result_schema_has_every_field_of_the_wire_result() {
        let result = wire::AgentResult {
            task_id: 1,
            status: wire::Status::Success,
            context: json!({}),
            elapsed_ms: Some(1.0),
            lease_id: Some("lease".into()),
        };
        let json = serde_json::to_value(&result).unwrap();
        assert_eq!(properties::<AgentResult>(), keys(json));
    }

    #[test]
    fn enum_schemas_list_every_wire_value() {
        // A new variant breaks this match, and then the list below.
        let statuses = [
            wire::Status::Success,
            wire::Status::Failure,
            wire::Status::Error,
            wire::Status::OnCheck,
        ];
        for s in statuses {
            match s {
                wire::Status::Success
                | wire::Status::Failure
                | wire::Status::Error
                | wire::Status::OnCheck => {}
            }
        }
        assert_eq!(values::<Status>(), names(statuses));
        assert_eq!(values::<Severity>(), names(wire::Severity::ALL));
        assert_eq!(values::<Method>(), names(wire::Method::ALL));
        assert_eq!(
            values::<IpVersion>(),
            names([wire::IpVersion::V4, wire::IpVersion::V6])
        );
    }
}
