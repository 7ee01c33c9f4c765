//! Running one request group: every task needing the same probe shares it (reference §2.4),
//! and every check is evaluated on that one answer.
//!
//! The group of a task ([`task_group`]) says which probe it needs: for HTTP checks the
//! reference's `<METHOD>-<ip>-<url>-<hash of request_data>` (the request options, when a path
//! sets any, are hashed with the request data, so a config without options keeps its groups);
//! `TCP-<ip>-<host:port>-…` for `port-open`; `DNS-<ip>-<host>-…` for `dns-resolves`, shared by
//! every path of a site. The server stores it and leases groups whole; the agent recomputes it
//! from each task (it never trusts the stored one) to send each probe once.

use std::time::Duration;

use futures_util::future::join_all;

use crate::kind::{Check, Kind, ProbeKind, http_to_https};
use crate::options::RequestOptions;
use crate::outcome::Outcome;
use crate::probe::{Answer, Endpoint, Job, Probe, Request, check_request_data};
use crate::wire::{AgentResult, IpVersion, Method, RequestData, Task, digest, group_key};

/// The group of a task with check `check` on `url`: tasks with equal groups need the same
/// probe (see the module docs for the format).
pub fn task_group(
    check: &str,
    method: Method,
    ip: IpVersion,
    url: &url::Url,
    request_data: Option<&str>,
    options: Option<&RequestOptions>,
) -> String {
    let options = options.map(RequestOptions::to_text);
    let traits = Kind::parse(check).map(Kind::traits);
    match ProbeKind::of(check) {
        ProbeKind::Http => {
            let requested = if traits.is_some_and(|t| t.plain_http) {
                http_to_https::plain_http(url)
            } else {
                url.clone()
            };
            let hashed = match (&options, request_data) {
                (None, data) => data.map(str::to_owned),
                (Some(o), data) => Some(format!("{}\n{o}", data.unwrap_or(""))),
            };
            group_key(method, ip, requested.as_str(), hashed.as_deref())
        }
        ProbeKind::Tcp => {
            let port = url.port_or_known_default().unwrap_or(0);
            let host = url.host_str().unwrap_or_default();
            let hash = digest(options.as_deref().unwrap_or(""));
            format!("TCP-{}-{host}:{port}-{hash}", ip.as_str())
        }
        ProbeKind::Dns => {
            let host = url.host_str().unwrap_or_default();
            let hash = digest(options.as_deref().unwrap_or(""));
            format!("DNS-{}-{host}-{hash}", ip.as_str())
        }
    }
}

/// The key the agent groups tasks by: [`task_group`] of the task (a URL that does not parse
/// still gets a key, and its `error` in that group).
pub fn request_key(task: &Task) -> String {
    match url::Url::parse(&task.url) {
        Ok(url) => task_group(
            &task.check,
            task.method,
            task.ip_version,
            &url,
            task.request_data.as_deref(),
            task.request_options.as_ref(),
        ),
        Err(_) => group_key(
            task.method,
            task.ip_version,
            &task.url,
            task.request_data.as_deref(),
        ),
    }
}

/// Runs one request group. A task whose check, URL or request data does not parse gets an
/// `error` result and the others still run. Each distinct probe runs once (once per distinct
/// key, should `tasks` mix several) and every check is evaluated on its answer. Every result
/// carries `elapsed_ms` and, in its context, the probe's `timings`; results are in the order
/// of `tasks`. Never panics.
#[tracing::instrument(skip_all, fields(tasks = tasks.len()))]
pub async fn run_group(probe: &Probe, tasks: &[Task]) -> Vec<AgentResult> {
    let prepared: Vec<Result<(Check, Job), Outcome>> = tasks.iter().map(prepare).collect();
    let keys: Vec<String> = tasks.iter().map(request_key).collect();
    let mut distinct: Vec<&str> = Vec::new();
    let mut jobs: Vec<&Job> = Vec::new();
    for (key, prep) in keys.iter().zip(&prepared) {
        if let Ok((_, job)) = prep
            && !distinct.contains(&key.as_str())
        {
            distinct.push(key);
            jobs.push(job);
        }
    }
    let answers = join_all(jobs.iter().map(|job| probe.run(job))).await;
    tasks
        .iter()
        .zip(prepared)
        .zip(&keys)
        .map(|((task, prep), key)| {
            let answer = distinct.iter().position(|k| k == key).map(|i| &answers[i]);
            evaluate(task, prep, answer)
        })
        .collect()
}

fn evaluate(
    task: &Task,
    prep: Result<(Check, Job), Outcome>,
    answer: Option<&Answer>,
) -> AgentResult {
    let (outcome, elapsed) = match (prep, answer) {
        (Ok((check, _)), Some(answer)) => {
            (answer.annotate(check.evaluate(answer)), answer.elapsed())
        }
        (Err(outcome), _) => (outcome, Duration::ZERO),
        // Every prepared task's key was registered above.
        (Ok(_), None) => (
            Outcome::error("InternalError", "no probe was run for this task"),
            Duration::ZERO,
        ),
    };
    // Excerpts, not bodies: a result must stay small whatever the site sent.
    outcome
        .bounded()
        .into_result(task.id, Some(elapsed.as_secs_f64() * 1000.0))
        .for_lease_of(task)
}

/// The task's check and probe, or the `error` outcome saying what is wrong with it.
fn prepare(task: &Task) -> Result<(Check, Job), Outcome> {
    let url = url::Url::parse(&task.url).map_err(|e| {
        Outcome::error(
            "InvalidUrl",
            format!("the task URL {:?} is invalid: {e}", task.url),
        )
    })?;
    let check = Check::parse(&task.check, &task.expected)
        .map_err(|e| Outcome::error("InvalidCheck", e.0))?;
    let options = task.request_options.unwrap_or_default();
    let endpoint = || {
        Endpoint::from_url(&url, task.ip_version, options)
            .map_err(|e| Outcome::error("InvalidUrl", e))
    };
    let job = match check.probe_kind() {
        ProbeKind::Tcp => Job::Tcp(endpoint()?),
        ProbeKind::Dns => Job::Dns(endpoint()?),
        ProbeKind::Http => Job::Http(http_request(task, &check, &url, options)?),
    };
    Ok((check, job))
}

fn http_request(
    task: &Task,
    check: &Check,
    url: &url::Url,
    options: RequestOptions,
) -> Result<Request, Outcome> {
    if !matches!(url.scheme(), "http" | "https") {
        let message = format!("{} needs an http(s) URL, not {url}", check.name());
        return Err(Outcome::error("InvalidUrl", message));
    }
    let request_data = task
        .request_data
        .as_deref()
        .map(parse_request_data)
        .transpose()?;
    Ok(Request {
        url: check.request_url(url),
        method: task.method,
        ip_version: task.ip_version,
        request_data,
        options,
    })
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
    pub(crate) fn task(id: i64, url: &str, check: &str, expected: &str) -> Task {
        Task::get(id, url, check, expected)
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
    fn options_change_the_group_and_no_options_keep_the_reference_key() {
        let plain = task(1, "https://h.test/", "status-is", "200");
        let url = url::Url::parse("https://h.test/").unwrap();
        assert_eq!(
            request_key(&plain),
            group_key(Method::Get, IpVersion::V4, "https://h.test/", None)
        );
        let mut slow = plain.clone();
        slow.request_options = Some(RequestOptions {
            timeout_ms: Some(30_000),
            ..RequestOptions::default()
        });
        assert_ne!(request_key(&slow), request_key(&plain));
        assert_eq!(
            request_key(&slow),
            task_group(
                "status-is",
                Method::Get,
                IpVersion::V4,
                &url,
                None,
                slow.request_options.as_ref()
            )
        );
    }

    #[test]
    fn dns_and_tcp_checks_get_their_own_groups() {
        let http = task(1, "https://h.test/a", "status-is", "200");
        let dns_a = task(2, "https://h.test/a", "dns-resolves", "true");
        let dns_b = task(3, "https://h.test:8443/b", "dns-resolves", "true");
        let tcp = task(4, "https://h.test/a", "port-open", "true");
        let tcp_raw = task(5, "tcp://h.test:443", "port-open", "true");
        assert_eq!(
            request_key(&dns_a),
            request_key(&dns_b),
            "one lookup per host"
        );
        assert!(request_key(&dns_a).starts_with("DNS-4-h.test-"));
        assert_ne!(request_key(&dns_a), request_key(&http));
        assert!(request_key(&tcp).starts_with("TCP-4-h.test:443-"));
        assert_eq!(request_key(&tcp), request_key(&tcp_raw));
    }

    #[test]
    fn probes_follow_the_check() {
        let job = |t: Task| prepare(&t).unwrap().1;
        assert!(
            matches!(job(task(1, "tcp://h.test:25", "port-open", "true")), Job::Tcp(e) if e.port == 25 && e.host == "h.test")
        );
        assert!(
            matches!(job(task(1, "https://[::1]/", "port-open", "false")), Job::Tcp(e) if e.port == 443 && e.host == "::1")
        );
        assert!(matches!(
            job(task(1, "https://h.test/", "dns-resolves", "true")),
            Job::Dns(_)
        ));
        let bad = prepare(&task(1, "tcp://h.test:25", "status-is", "200")).unwrap_err();
        assert_eq!(bad.context["error_type"], "InvalidUrl");
        let bad = prepare(&task(1, "tcp://h.test", "port-open", "true")).unwrap_err();
        assert!(
            bad.context["error_message"]
                .as_str()
                .unwrap()
                .contains("has no port")
        );
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
