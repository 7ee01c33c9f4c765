//! Every check type against a local HTTP site: passes, fails for the right reason, and shares
//! one request per group.

use argos_checks::group::run_group;
use argos_checks::{RequestData, Status};
use argos_testkit::{redirector, spawn_http};
use serde_json::json;

use crate::support::{Hits, probe, run_one, site, task};

/// (check, expected that passes on the page, expected that fails on it, page).
const CASES: &[(&str, &str, &str, &str)] = &[
    ("status-is", "200", "204", "/"),
    ("status-in", "[200, 204]", "[500, 503]", "/"),
    (
        "headers-contain",
        r#"["X-Frame-Options", "server"]"#,
        r#"["x-missing"]"#,
        "/",
    ),
    (
        "headers-have",
        r#"{"cache-control": "no-cache, private"}"#,
        r#"{"x-frame-options": "deny"}"#,
        "/",
    ),
    (
        "headers-like",
        r#"{"Server": "nginx/1\\.2"}"#,
        r#"{"server": "^apache"}"#,
        "/",
    ),
    ("body-contains", "Welcome to Argos", "welcome to argos", "/"),
    ("body-like", r"Argos \d+\.\d+", r"^Welcome", "/"),
    ("body-not-contains", "Fatal error", "Welcome", "/"),
    (
        "response-time",
        r#"{"critical_ms": 5000}"#,
        r#"{"warning_ms": 1}"#,
        "/big",
    ),
    (
        "json-contains",
        r#"["/items/0/name", "/up"]"#,
        r#"["/items/1"]"#,
        "/json",
    ),
    (
        "json-has",
        r#"{"/count": 3.0, "/up": true}"#,
        r#"{"/up": 1}"#,
        "/json",
    ),
    (
        "json-like",
        r#"{"/version": "^2\\.10"}"#,
        r#"{"/count": "3"}"#,
        "/json",
    ),
    (
        "json-is",
        r#"{"up": true, "status": "ok", "version": "2.10.1", "count": 3, "items": [{"name": "a/b", "id": 1}]}"#,
        r#"{"up": true}"#,
        "/json",
    ),
];

#[tokio::test]
async fn every_check_passes_and_fails_on_a_real_response() {
    let addr = spawn_http(site(Hits::default())).await;
    let probe = probe(&[]);
    for (check, pass, fail, path) in CASES {
        let url = format!("http://{addr}{path}");
        let ok = run_one(&probe, task(1, &url, check, pass)).await;
        assert_eq!(
            ok.status,
            Status::Success,
            "{check} {pass}: {:?}",
            ok.context
        );
        assert!(ok.elapsed_ms.unwrap() > 0.0);
        let ko = run_one(&probe, task(2, &url, check, fail)).await;
        assert_eq!(
            ko.status,
            Status::Failure,
            "{check} {fail}: {:?}",
            ko.context
        );
    }
}

#[tokio::test]
async fn failures_say_why() {
    let addr = spawn_http(site(Hits::default())).await;
    let probe = probe(&[]);
    let home = format!("http://{addr}/");
    let r = run_one(
        &probe,
        task(1, &home, "headers-have", r#"{"x-frame-options": "deny"}"#),
    )
    .await;
    assert_eq!(
        r.context["detail"],
        r#"header "x-frame-options" is "DENY", not "deny""#
    );
    assert_eq!(r.context["retrieved"]["cache-control"], "no-cache, private");
    let json = format!("http://{addr}/json");
    let r = run_one(&probe, task(1, &json, "json-has", r#"{"/up": 1}"#)).await;
    assert_eq!(r.context["detail"], r#""/up" is true, not 1"#);
    let r = run_one(&probe, task(1, &json, "json-like", r#"{"/count": "3"}"#)).await;
    assert_eq!(
        r.context["detail"],
        r#""/count" is a number, not a string: 3"#
    );
    let r = run_one(&probe, task(1, &home, "status-is", "204")).await;
    assert_eq!(
        (&r.context["expected"], &r.context["retrieved"]),
        (&json!(204), &json!(200))
    );
    assert_eq!(
        (&r.context["reason"], &r.context["detail"]),
        (&json!("http-status"), &json!("status 200, expected 204"))
    );
    let r = run_one(&probe, task(1, &home, "body-contains", "Bienvenue")).await;
    assert_eq!(r.context["reason"], "expectation");
    assert_eq!(
        r.context["detail"],
        r#"the body does not contain "Bienvenue""#
    );
}

#[tokio::test]
async fn json_checks_on_html_are_errors() {
    let addr = spawn_http(site(Hits::default())).await;
    let r = run_one(
        &probe(&[]),
        task(1, &format!("http://{addr}/"), "json-contains", r#"["/a"]"#),
    )
    .await;
    assert_eq!(r.status, Status::Error);
    assert_eq!(r.context["error_type"], "InvalidJson");
}

#[tokio::test]
async fn a_group_sends_one_request_and_isolates_bad_tasks() {
    let hits = Hits::default();
    let addr = spawn_http(site(hits.clone())).await;
    let url = format!("http://{addr}/");
    let mut tasks = [
        task(1, &url, "status-is", "200"),
        task(2, &url, "body-contains", "Welcome"),
        task(3, &url, "status-is", "two hundred"),
        task(4, &url, "headers-contain", r#"["server"]"#),
    ];
    tasks[0].lease_id = Some("lease-1".into());
    tasks[2].lease_id = Some("lease-1".into());
    let results = run_group(&probe(&[]), &tasks).await;
    assert_eq!(hits.count(), 1);
    let statuses: Vec<_> = results.iter().map(|r| (r.task_id, r.status)).collect();
    assert_eq!(
        statuses,
        [
            (1, Status::Success),
            (2, Status::Success),
            (3, Status::Error),
            (4, Status::Success)
        ]
    );
    assert_eq!(results[2].context["error_type"], "InvalidCheck");
    assert!(results.iter().all(|r| r.elapsed_ms.is_some()));
    // Each result answers its task's lease, even an error result.
    let leases: Vec<_> = results.iter().map(|r| r.lease_id.as_deref()).collect();
    assert_eq!(leases, [Some("lease-1"), None, Some("lease-1"), None]);
}

#[tokio::test]
async fn request_data_is_sent() {
    let addr = spawn_http(site(Hits::default())).await;
    let probe = probe(&[]);
    let url = format!("http://{addr}/echo");
    let send = |data: RequestData| {
        // json-contains [""] passes on any JSON and hands back the echoed request.
        let mut t = task(1, &url, "json-contains", r#"[""]"#);
        t.method = argos_checks::Method::Post;
        t.request_data = Some(data.to_text());
        t
    };
    let headers = Some([("X-Token".to_owned(), "s3cret".to_owned())].into());
    let json_body = RequestData {
        data: json!({"a": [1]}),
        json: true,
        headers: headers.clone(),
    };
    let form = RequestData {
        data: json!({"user": "ann", "n": 2}),
        json: false,
        headers: None,
    };
    let raw = RequestData {
        data: json!("raw text"),
        json: false,
        headers: None,
    };
    let none = RequestData {
        data: serde_json::Value::Null,
        json: false,
        headers,
    };

    let echoed = |r: argos_checks::AgentResult| r.context["retrieved"].clone();
    let r = echoed(run_one(&probe, send(json_body)).await);
    assert_eq!(
        (r["method"].as_str(), r["content_type"].as_str()),
        (Some("POST"), Some("application/json"))
    );
    assert_eq!(
        (r["body"].as_str(), r["x_token"].as_str()),
        (Some(r#"{"a":[1]}"#), Some("s3cret"))
    );
    assert!(r["user_agent"].as_str().unwrap().starts_with("Argos/"));
    let r = echoed(run_one(&probe, send(form)).await);
    assert_eq!(r["content_type"], "application/x-www-form-urlencoded");
    let mut pairs: Vec<&str> = r["body"].as_str().unwrap().split('&').collect();
    pairs.sort();
    assert_eq!(pairs, ["n=2", "user=ann"]);
    let r = echoed(run_one(&probe, send(raw)).await);
    assert_eq!(r["body"], "raw text");
    let r = echoed(run_one(&probe, send(none)).await);
    assert_eq!(
        (r["body"].as_str(), r["x_token"].as_str()),
        (Some(""), Some("s3cret"))
    );
}

#[tokio::test]
async fn http_to_https_follows_the_location() {
    let probe = probe(&[]);
    // The task URL is https://localhost:<port>/; the probe asks http://localhost:<port>/.
    let to_https = spawn_http(redirector("https://localhost/secure".to_owned())).await;
    let url = format!("https://localhost:{}/", to_https.port());
    let r = run_one(
        &probe,
        task(1, &url, "http-to-https", r#"{"range": [300, 400]}"#),
    )
    .await;
    assert_eq!(r.status, Status::Success, "{:?}", r.context);
    assert_eq!(r.context["location"], "https://localhost/secure");
    assert_eq!(r.context["retrieved"], 301);

    // Another host is fine by default (http://example.org → https://www.example.org), not
    // with same_host.
    let to_www = spawn_http(redirector("https://www.example.org/".to_owned())).await;
    let url = format!("https://localhost:{}/", to_www.port());
    let mut t = task(1, &url, "http-to-https", r#"{"range": [300, 400]}"#);
    let r = run_one(&probe, t.clone()).await;
    assert_eq!(r.status, Status::Success, "{:?}", r.context);
    t.expected = r#"{"range": [300, 400], "same_host": true}"#.to_owned();
    let r = run_one(&probe, t).await;
    assert_eq!(r.status, Status::Failure, "{:?}", r.context);
    assert_eq!(
        r.context["detail"],
        "the redirect goes to another host (www.example.org), not localhost"
    );

    let to_http = spawn_http(redirector("http://localhost/elsewhere".to_owned())).await;
    let url = format!("https://localhost:{}/", to_http.port());
    let r = run_one(
        &probe,
        task(1, &url, "http-to-https", r#"{"range": [300, 400]}"#),
    )
    .await;
    assert_eq!(r.status, Status::Failure);
    assert_eq!(
        r.context["detail"],
        "the redirect goes to http://localhost/elsewhere, which is not HTTPS"
    );

    let no_redirect = spawn_http(site(Hits::default())).await;
    let url = format!("https://localhost:{}/", no_redirect.port());
    let r = run_one(&probe, task(1, &url, "http-to-https", r#"{"value": 301}"#)).await;
    assert_eq!(r.status, Status::Failure);
    assert_eq!(
        r.context["detail"],
        "status 200 is not an expected redirect"
    );
}

#[tokio::test]
async fn ssl_check_on_plain_http_is_an_error() {
    let addr = spawn_http(site(Hits::default())).await;
    let r = run_one(
        &probe(&[]),
        task(
            1,
            &format!("http://{addr}/"),
            "ssl-certificate-expiration",
            "on-check",
        ),
    )
    .await;
    assert_eq!(r.status, Status::Error);
    assert_eq!(r.context["error_type"], "NotHttps");
}
