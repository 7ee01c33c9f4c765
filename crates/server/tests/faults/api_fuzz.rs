//! The JSON and agent APIs fuzzed from their own OpenAPI document by schemathesis (`st`,
//! `pip install schemathesis`): a real server with a user logged in and an agent token,
//! every check of schemathesis (no 5xx, only documented statuses, content types and
//! schemas, invalid input refused with a 4xx, valid input accepted, auth enforced), its
//! examples, coverage, fuzzing and stateful phases. Its report is printed when it fails.

use std::process::Command;
use std::time::Duration;

use crate::support::{
    Db, Server, Setup, Site, TOKEN, agent, argos, config, free_port, sqlite_url, wait_until,
    website,
};

const USER: &str = "fuzzer";
const PASSWORD: &str = "a-password-for-the-fuzzer";
/// Test cases per operation and phase: about 2,000 in all, half a minute.
const EXAMPLES: &str = "100";
/// A fixed seed, so that a failure in CI comes back on a developer's machine (up to the
/// interleaving of the two workers).
const SEED: &str = "20261202";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "runs schemathesis for half a minute: run by .ci/run with --ignored"]
async fn schemathesis_finds_no_5xx_and_nothing_undocumented() {
    let Some(st) = schemathesis() else {
        return;
    };
    // Arrange: a server that needs a login, with a user, a few tasks and their results.
    let dir = tempfile::tempdir().unwrap();
    let port = Site::new(Duration::ZERO).spawn().await;
    let paths: Vec<String> = (0..3).map(|i| format!("/fast/{i}")).collect();
    let db_url = sqlite_url(dir.path());
    let setup = Setup {
        db_url: &db_url,
        websites: &website(port, &paths),
        max_lock_seconds: 61,
        frequency: "30d",
        open_access: false,
    };
    std::fs::write(dir.path().join("config.yaml"), config(&setup)).unwrap();
    add_user(dir.path());
    let mut server =
        Server::start_with(dir.path(), &dir.path().join("config.yaml"), free_port()).await;
    let mut worker = agent(dir.path(), &server, "worker", 10);
    let db = Db::connect(&db_url).await;
    wait_until(Duration::from_secs(30), "results", || async {
        db.results().await.len() >= paths.len()
    })
    .await;
    worker.kill();
    let session = login(&server).await;
    std::fs::write(dir.path().join("schemathesis.toml"), settings(&session)).unwrap();

    // Act
    let out = Command::new(st)
        .args(["run", &format!("{}/openapi.json", server.base)])
        .args(["--max-examples", EXAMPLES, "--seed", SEED, "--workers", "2"])
        .args(["--request-timeout", "20", "--no-color"])
        .current_dir(dir.path())
        .output()
        .expect("running schemathesis");

    // Assert
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "schemathesis failed:\n{report}");
    eprintln!("{}", tail(&report, 30));
    assert!(server.process.is_running(), "the server died:\n{report}");
    let log = server.process.log();
    assert!(!log.contains("panicked"), "{log}");
    db.close().await;
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The `st` command, or `None` (skipped) outside CI when schemathesis is not installed.
fn schemathesis() -> Option<&'static str> {
    let found = Command::new("st").arg("--version").output();
    match found {
        Ok(out) if out.status.success() => Some("st"),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but schemathesis (`st`) is not installed: see .ci/run")
        }
        _ => {
            eprintln!("schemathesis (`st`) is not installed: skipping");
            None
        }
    }
}

/// schemathesis' settings: credentials by security scheme (so that it also tries each
/// route without them), and the known gaps of the agent API.
fn settings(session: &str) -> String {
    format!(
        "[auth.openapi.agent_token]\nbearer = \"{TOKEN}\"\n\n\
         [auth.openapi.session]\napi_key = \"{session}\"\n\n{KNOWN_GAPS}"
    )
}

/// Where the agent API and its document disagree, reported to its owners (issue 9); remove
/// each once fixed:
/// - `GET /api/tasks?limit=2147483648` is answered: the document says `int32`, the server
///   reads a `u32` and clamps it;
/// - `POST /api/results` stores a result whose `context` is not an object (the document
///   says object, the wire type takes any JSON), and refuses (422) a `task_id` written
///   `56051.0`, which JSON Schema counts as an integer.
const KNOWN_GAPS: &str = "[[operations]]\n\
    include-path = \"/api/tasks\"\n\
    checks.negative_data_rejection.enabled = false\n\n\
    [[operations]]\n\
    include-path = \"/api/results\"\n\
    checks.negative_data_rejection.enabled = false\n\
    checks.positive_data_acceptance.enabled = false\n";

fn add_user(dir: &std::path::Path) {
    let out = argos()
        .args([
            "server",
            "user",
            "add",
            "--name",
            USER,
            "--password",
            PASSWORD,
        ])
        .args(["--config", "config.yaml"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Logs in through the form; returns the session cookie's value.
async fn login(server: &Server) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = http
        .get(format!("{}/login", server.base))
        .send()
        .await
        .unwrap();
    let cookies = set_cookies(form.headers());
    let html = form.text().await.unwrap();
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    let csrf = html[at..].split('"').next().unwrap().to_owned();
    let resp = http
        .post(format!("{}/login", server.base))
        .header("cookie", cookies.join("; "))
        .form(&[
            ("username", USER),
            ("password", PASSWORD),
            ("csrf", &csrf),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303, "logging in");
    set_cookies(resp.headers())
        .iter()
        .find_map(|c| c.strip_prefix("argos_session="))
        .expect("a session cookie")
        .to_owned()
}

/// `name=value` of each `Set-Cookie`.
fn set_cookies(headers: &reqwest::header::HeaderMap) -> Vec<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| c.split(';').next())
        .map(str::to_owned)
        .collect()
}
