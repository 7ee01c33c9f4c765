//! The Python agent of Argos Panoptès 0.10.3 (`pip install argos-monitoring`), unchanged,
//! against our server. It runs when `ARGOS_PYTHON_AGENT` names its `argos` executable;
//! `.ci/run` installs it, and with `CI=true` a missing agent fails the test.

use std::process::Stdio;
use std::time::Duration;

use argos_testkit::spawn_http;
use serde_json::json;
use tokio::process::{Child, Command};

use crate::e2e::{many_sites, site};
use crate::helpers::{Backend, TOKEN, TestApp, with_app};

fn python_agent() -> Option<String> {
    match std::env::var("ARGOS_PYTHON_AGENT") {
        Ok(p) if !p.is_empty() => Some(p),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!(
                "CI=true but ARGOS_PYTHON_AGENT is not set: the compatibility test must run in CI (see .ci/run)"
            )
        }
        _ => {
            eprintln!("ARGOS_PYTHON_AGENT is not set: skipping the Python agent test");
            None
        }
    }
}

fn spawn_python(exe: &str, app: &TestApp) -> Child {
    Command::new(exe)
        .args([
            "agent",
            &app.base,
            TOKEN,
            "--max-tasks",
            "20",
            "--wait-time",
            "1",
            "--name",
            "python-agent",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("starting the Python agent")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_python_agent_runs_checks_and_severities_are_right() {
    let Some(exe) = python_agent() else { return };
    let port = spawn_http(site()).await.port();
    let websites = format!(
        r#"  - domain: "http://127.0.0.1:{port}"
    paths:
      - path: "/"
        checks:
          - status-is: 200
          - status-is: 404
          - body-contains: "hello from argos"
          - body-like: "hel+o"
          - headers-contain: ["content-type"]
      - path: "/status.json"
        checks:
          - json-has: {{"/status": "ok"}}
          - json-contains: ["/status", "/n"]
          - status-in: [200, 204]
"#
    );
    with_app(Backend::Sqlite, &websites, |app| async move {
        let mut agent = spawn_python(&exe, &app);
        app.wait_all_checked(Duration::from_secs(60)).await;
        agent.kill().await.unwrap();
        assert_eq!(
            app.get_json("/api/severities").await,
            json!({"ok": 7, "warning": 0, "critical": 1, "unknown": 0})
        );
        let agents = app.get_json("/api/app/agents").await;
        assert!(agents["agents"].get("python-agent").is_some(), "{agents}");
        app.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_sites_all_ok_with_the_python_agent() {
    let Some(exe) = python_agent() else { return };
    let port = spawn_http(site()).await.port();
    with_app(Backend::Sqlite, &many_sites(port, 200), |app| async move {
        let mut agent = spawn_python(&exe, &app);
        app.wait_all_checked(Duration::from_secs(120)).await;
        agent.kill().await.unwrap();
        assert_eq!(
            app.get_json("/api/severities").await,
            json!({"ok": 400, "warning": 0, "critical": 0, "unknown": 0})
        );
        app.stop().await;
    })
    .await;
}

/// Our checks and request options reach the Python agent too (it ignores the options field):
/// the checks it knows still run, the ones it does not are `unknown`, and nothing breaks.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_python_agent_leaves_our_checks_unknown_and_runs_its_own() {
    let Some(exe) = python_agent() else { return };
    let port = spawn_http(site()).await.port();
    let websites = format!(
        r#"  - domain: "http://127.0.0.1:{port}"
    paths:
      - path: "/"
        timeout: "5s"
        follow_redirects: 3
        checks:
          - status-is: 200
          - response-time: {{warning: "10s"}}
          - dns-resolves: true
  - domain: "tcp://127.0.0.1:{port}"
    paths:
      - checks:
          - port-open: true
"#
    );
    with_app(Backend::Sqlite, &websites, |app| async move {
        let mut agent = spawn_python(&exe, &app);
        app.wait_all_checked(Duration::from_secs(60)).await;
        agent.kill().await.unwrap();
        assert_eq!(
            app.get_json("/api/severities").await,
            json!({"ok": 1, "warning": 0, "critical": 0, "unknown": 3})
        );
        app.stop().await;
    })
    .await;
}
