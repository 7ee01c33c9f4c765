//! Running one request group: every task needing the same request shares one fetch
//! (reference §2.4), and every check is evaluated on that one response or that one failure.

use std::time::Duration;

use futures_util::future::join_all;

use crate::kind::{Check, http_to_https};
use crate::outcome::Outcome;
use crate::probe::{FetchError, Fetched, Probe, Request, check_request_data};
use crate::wire::{AgentResult, RequestData, Task, group_key};

/// The key the agent groups tasks by: [`group_key`] of the request actually sent (for
/// `http-to-https` the `http://` URL). It only needs the check's name, so a task whose
/// expectation does not parse still lands in its group (and gets its `error` there).
pub fn request_key(task: &Task) -> String {
    let url = match url::Url::parse(&task.url) {
        Ok(url) if task.check == http_to_https::NAME => http_to_https::plain_http(&url).to_string(),
        _ => task.url.clone(),
    };
    group_key(
        task.method,
        task.ip_version,
        &url,
        task.request_data.as_deref(),
    )
}

/// Runs one request group. A task whose check, URL or request data does not parse gets an
/// `error` result and the others still run. The request is sent once (once per distinct
/// request, should `tasks` mix several) and every check is evaluated on its response, or the
/// fetch error becomes each task's failure. Every result carries `elapsed_ms`; results are in
/// the order of `tasks`. Never panics.
#[tracing::instrument(skip_all, fields(tasks = tasks.len()))]
pub async fn run_group(probe: &Probe, tasks: &[Task]) -> Vec<AgentResult> {
    let prepared: Vec<Result<(Check, Request), Outcome>> = tasks.iter().map(prepare).collect();
    let mut keys: Vec<String> = Vec::new();
    let mut requests: Vec<&Request> = Vec::new();
    for (task, prep) in tasks.iter().zip(&prepared) {
        let key = request_key(task);
        if let Ok((_, request)) = prep
            && !keys.contains(&key)
        {
            keys.push(key);
            requests.push(request);
        }
    }
    let responses = join_all(requests.iter().map(|r| probe.fetch(r))).await;
    tasks
        .iter()
        .zip(prepared)
        .map(|(task, prep)| {
            let response = keys
                .iter()
                .position(|k| *k == request_key(task))
                .map(|i| &responses[i]);
            evaluate(task, prep, response)
        })
        .collect()
}

fn evaluate(
    task: &Task,
    prep: Result<(Check, Request), Outcome>,
    response: Option<&Result<Fetched, FetchError>>,
) -> AgentResult {
    let (outcome, elapsed) = match (prep, response) {
        (Ok((check, _)), Some(Ok(fetched))) => (check.evaluate(fetched), fetched.elapsed),
        (Ok(_), Some(Err(error))) => (error.to_outcome(), error.elapsed),
        (Err(outcome), _) => (outcome, Duration::ZERO),
        // Every prepared task's key was registered above.
        (Ok(_), None) => (
            Outcome::error("InternalError", "no request was sent for this task"),
            Duration::ZERO,
        ),
    };
    outcome.into_result(task.id, Some(elapsed.as_secs_f64() * 1000.0))
}

/// The task's check and request, or the `error` outcome saying what is wrong with it.
fn prepare(task: &Task) -> Result<(Check, Request), Outcome> {
    let url = url::Url::parse(&task.url).map_err(|e| {
        Outcome::error(
            "InvalidUrl",
            format!("the task URL {:?} is invalid: {e}", task.url),
        )
    })?;
    let check = Check::parse(&task.check, &task.expected)
        .map_err(|e| Outcome::error("InvalidCheck", e.0))?;
    let request_data = task
        .request_data
        .as_deref()
        .map(parse_request_data)
        .transpose()?;
    let request = Request {
        url: check.request_url(&url),
        method: task.method,
        ip_version: task.ip_version,
        request_data,
    };
    Ok((check, request))
}

fn parse_request_data(text: &str) -> Result<RequestData, Outcome> {
    let invalid = |why: String| {
        Outcome::error(
            "InvalidRequestData",
            format!("the task's request data is invalid: {why}"),
        )
    };
    let data = RequestData::from_text(text).map_err(|e| invalid(e.to_string()))?;
    check_request_data(&data).map_err(invalid)?;
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{IpVersion, Method};

    pub(crate) fn task(id: i64, url: &str, check: &str, expected: &str) -> Task {
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
        }
    }

    #[test]
    fn http_to_https_groups_on_the_plain_url() {
        let a = task(
            1,
            "https://h.test:8443/",
            "http-to-https",
            r#"{"value": 301}"#,
        );
        let b = task(2, "https://h.test:8443/", "status-is", "200");
        let c = task(3, "http://h.test:8443/", "status-is", "200");
        assert_eq!(request_key(&a), request_key(&c));
        assert_ne!(request_key(&a), request_key(&b));
        assert!(request_key(&a).starts_with("GET-4-http://h.test:8443/-"));
    }

    #[test]
    fn bad_tasks_are_errors_before_any_request() {
        let bad = prepare(&task(1, "https://h.test/", "status-is", "abc")).unwrap_err();
        assert_eq!(bad.context["error_type"], "InvalidCheck");
        let bad = prepare(&task(1, "not a url", "status-is", "200")).unwrap_err();
        assert_eq!(bad.context["error_type"], "InvalidUrl");
        let mut t = task(1, "https://h.test/", "status-is", "200");
        t.request_data = Some("{not json".to_owned());
        assert_eq!(
            prepare(&t).unwrap_err().context["error_type"],
            "InvalidRequestData"
        );
        t.request_data = Some(r#"{"data": [1], "json": false, "headers": null}"#.to_owned());
        assert_eq!(
            prepare(&t).unwrap_err().context["error_type"],
            "InvalidRequestData"
        );
    }
}
