//! Every check of the catalogue and every per-path option in one config, run end to end by our
//! agent against local servers, on SQLite and PostgreSQL: each task ends at its expected
//! severity, and failures record why.

use std::collections::BTreeMap;
use std::time::Duration;

use argos_testkit::{TestCa, closed_port, redirects, spawn_dual, spawn_http, spawn_https};
use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::get;
use chrono::Utc;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, with_app};

/// The e2e site, plus redirects (`/moved`, `/hop/{n}`, `/loop/a`) and `/slow` (300 ms).
fn site() -> Router {
    crate::e2e::site().merge(redirects()).route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            "slow but fine"
        }),
    )
}

/// Plain-HTTP side of a dual server: redirects to the https URL of the same host.
fn to_https() -> Router {
    Router::new().fallback(|headers: HeaderMap| async move {
        let host = headers[header::HOST]
            .to_str()
            .unwrap_or_default()
            .to_owned();
        (
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, format!("https://{host}/"))],
        )
    })
}

struct Targets {
    ca: TestCa,
    plain: u16,
    valid: u16,
    expired: u16,
    closed: u16,
}

async fn targets() -> Targets {
    let ca = TestCa::new();
    let names = ["localhost", "127.0.0.1"];
    let in_days = |d: i64| Utc::now() + chrono::Duration::days(d);
    Targets {
        plain: spawn_http(site()).await.port(),
        valid: spawn_dual(site(), to_https(), &ca, &names, in_days(90))
            .await
            .port(),
        expired: spawn_https(site(), &ca, &names, in_days(-3)).await.port(),
        closed: closed_port().port(),
        ca,
    }
}

/// (url suffix, check, expected, severity) per website; `{P}` is replaced by the port.
type Want = [(&'static str, &'static str, &'static str)];

const PLAIN: &str = r#"  - domain: "http://127.0.0.1:{P}"
    paths:
      - path: "/"
        checks:
          - status-is: 200
          - status-in: [200, 204]
          - headers-contain: [content-type]
          - headers-have: {content-type: "text/plain; charset=utf-8"}
          - headers-like: {content-type: "^text/plain"}
          - body-contains: "hello from argos"
          - body-like: "hel+o .* tests"
          - body-not-contains: "hello"
          - response-time: {warning: "10s"}
          - port-open: true
          - port-open: false
      - path: "/status.json"
        checks:
          - json-contains: ["/status"]
          - json-has: {/status: "ok"}
          - json-like: {/status: "^o"}
          - json-is: {"status": "ok", "n": 1}
      - path: "/slow"
        checks:
          - response-time: {warning: "100ms", critical: "5s"}
          - body-contains: "slow but fine"
      - path: "/slow?again"
        timeout: "100ms"
        checks:
          - status-is: 200
          - response-time: {warning: "50ms", critical: "100ms"}
      - path: "/moved"
        checks:
          - redirects-to: "/new"
          - status-is: 301
      - path: "/hop/3"
        follow_redirects: 5
        max_body_bytes: "1kB"
        checks:
          - body-contains: "arrived"
      - path: "/loop/a"
        follow_redirects: true
        checks:
          - status-is: 200
  - domain: "tcp://127.0.0.1:{P}"
    paths:
      - checks:
          - port-open: true
"#;

const PLAIN_WANT: &Want = &[
    ("/", "body-contains", "ok"),
    ("/", "body-like", "ok"),
    ("/", "body-not-contains", "critical"),
    ("/", "headers-contain", "ok"),
    ("/", "headers-have", "ok"),
    ("/", "headers-like", "ok"),
    ("/", "port-open", "critical"), // expected closed
    ("/", "port-open", "ok"),
    ("/", "response-time", "ok"),
    ("/", "status-in", "ok"),
    ("/", "status-is", "ok"),
    ("/hop/3", "body-contains", "ok"),
    ("/loop/a", "status-is", "critical"),
    ("/moved", "redirects-to", "ok"),
    ("/moved", "status-is", "ok"),
    ("/slow", "body-contains", "ok"),
    ("/slow", "response-time", "warning"),
    ("/slow?again", "response-time", "critical"), // timed out
    ("/slow?again", "status-is", "critical"),     // timed out
    ("/status.json", "json-contains", "ok"),
    ("/status.json", "json-has", "ok"),
    ("/status.json", "json-is", "ok"),
    ("/status.json", "json-like", "ok"),
    ("tcp", "port-open", "ok"),
];

const HTTPS: &str = r#"  - domain: "https://localhost:{V}"
    paths:
      - path: "/"
        checks:
          - http-to-https: 301
          - ssl-certificate-expiration: "on-check"
          - dns-resolves: ["127.0.0.1"]
          - dns-resolves: ["192.0.2.1"]
  - domain: "https://localhost:{E}"
    paths:
      - path: "/"
        checks:
          - status-is: 200
          - response-time: {warning: "10s"}
          - ssl-certificate-expiration: "on-check"
  - domain: "tcp://localhost:{C}"
    paths:
      - timeout: "2s"
        checks:
          - port-open: true
          - port-open: false
          - dns-resolves: true
"#;

fn websites(t: &Targets) -> String {
    PLAIN.replace("{P}", &t.plain.to_string())
        + &HTTPS
            .replace("{V}", &t.valid.to_string())
            .replace("{E}", &t.expired.to_string())
            .replace("{C}", &t.closed.to_string())
}

/// `(url, check) → [severities]` of a netloc, sorted.
async fn severities(app: &TestApp, netloc: &str) -> BTreeMap<(String, String), Vec<String>> {
    let mut out: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (url, check, severity) in app.severities_of(netloc).await {
        out.entry((url, check)).or_default().push(severity);
    }
    out.values_mut().for_each(|v| v.sort());
    out
}

fn expected(base: &str, tcp: &str, want: &Want) -> BTreeMap<(String, String), Vec<String>> {
    let mut out: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (suffix, check, severity) in want {
        let url = match *suffix {
            "tcp" => format!("{tcp}/"),
            path => format!("{base}{path}"),
        };
        out.entry((url, (*check).to_owned()))
            .or_default()
            .push((*severity).to_owned());
    }
    out.values_mut().for_each(|v| v.sort());
    out
}

/// The latest result context of the task `(url, check)` whose severity is `severity`.
async fn context(app: &TestApp, netloc: &str, url: &str, check: &str, severity: &str) -> Value {
    let tasks = app.tasks_of(netloc).await;
    let task = tasks
        .iter()
        .find(|t| t["url"] == url && t["check"] == check && t["severity"] == severity)
        .unwrap_or_else(|| panic!("no {check} {severity} task on {url}: {tasks:?}"));
    let id = task["last_result_id"].as_i64().unwrap();
    app.state.store.result(id).await.unwrap().context
}

async fn every_check(backend: Backend) {
    let t = targets().await;
    with_app(backend, &websites(&t), |app| async move {
        let agent = app.spawn_agent("agent-checks", Some(t.ca.pem()));
        app.wait_all_checked(Duration::from_secs(60)).await;
        agent.stop().await;

        let plain = format!("127.0.0.1:{}", t.plain);
        let base = format!("http://{plain}");
        let want = expected(&base, &format!("tcp://{plain}"), PLAIN_WANT);
        assert_eq!(severities(&app, &plain).await, want);

        let valid = format!("localhost:{}", t.valid);
        let expired = format!("localhost:{}", t.expired);
        let closed = format!("localhost:{}", t.closed);
        let https = |netloc: &str, rows: &[(&str, &str)]| {
            let mut m: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
            for (check, sev) in rows {
                let url = if netloc == closed {
                    format!("tcp://{netloc}/")
                } else {
                    format!("https://{netloc}/")
                };
                m.entry((url, (*check).into()))
                    .or_default()
                    .push((*sev).into());
            }
            m.values_mut().for_each(|v| v.sort());
            m
        };
        assert_eq!(
            severities(&app, &valid).await,
            https(
                &valid,
                &[
                    ("http-to-https", "ok"),
                    ("ssl-certificate-expiration", "ok"),
                    ("dns-resolves", "ok"),
                    ("dns-resolves", "critical"),
                ]
            )
        );
        assert_eq!(
            severities(&app, &expired).await,
            https(
                &expired,
                &[
                    ("status-is", "critical"),
                    ("response-time", "critical"),
                    ("ssl-certificate-expiration", "critical"),
                ]
            )
        );
        assert_eq!(
            severities(&app, &closed).await,
            https(
                &closed,
                &[
                    ("port-open", "critical"),
                    ("port-open", "ok"),
                    ("dns-resolves", "ok"),
                ]
            )
        );

        // Failures say why, and every result says where the time went.
        let why = |ctx: &Value| ctx["reason"].as_str().unwrap_or_default().to_owned();
        let c = context(
            &app,
            &plain,
            &format!("{base}/loop/a"),
            "status-is",
            "critical",
        )
        .await;
        assert_eq!(why(&c), "redirect-loop", "{c}");
        let c = context(
            &app,
            &plain,
            &format!("{base}/slow?again"),
            "status-is",
            "critical",
        )
        .await;
        assert_eq!(why(&c), "timeout", "{c}");
        let c = context(
            &app,
            &plain,
            &format!("{base}/slow"),
            "response-time",
            "warning",
        )
        .await;
        assert_eq!(
            (why(&c), c["severity"].as_str()),
            ("slow".into(), Some("warning"))
        );
        assert!(c["timings"]["ttfb_ms"].as_f64().unwrap() >= 300.0, "{c}");
        let c = context(
            &app,
            &plain,
            &format!("{base}/"),
            "body-not-contains",
            "critical",
        )
        .await;
        assert_eq!(
            (why(&c), c["detail"].clone()),
            (
                "expectation".into(),
                json!(r#"the body contains "hello" (at byte 0)"#)
            )
        );
        let c = context(
            &app,
            &expired,
            &format!("https://{expired}/"),
            "status-is",
            "critical",
        )
        .await;
        assert_eq!(why(&c), "tls-expired", "{c}");
        assert!(
            c["certificate"]["expires_in_days"].as_i64().unwrap() < 0,
            "{c}"
        );
        let c = context(
            &app,
            &valid,
            &format!("https://{valid}/"),
            "ssl-certificate-expiration",
            "ok",
        )
        .await;
        assert_eq!(c["certificate"]["expires_in_days"], 89, "{c}");
        let c = context(
            &app,
            &closed,
            &format!("tcp://{closed}/"),
            "port-open",
            "critical",
        )
        .await;
        assert_eq!(why(&c), "connect", "{c}");

        let counts = app.get_json("/api/severities").await;
        assert_eq!(
            counts,
            json!({"ok": 23, "warning": 1, "critical": 10, "unknown": 0}),
            "every task ran to a known severity"
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_check_runs_to_its_severity_on_sqlite() {
    every_check(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_check_runs_to_its_severity_on_postgres() {
    every_check(Backend::Postgres).await;
}
