//! The embedded agent's source against a store that refuses a result, what a reload cannot
//! apply, and retention cutoffs at the extremes.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use argos_agent::TaskSource;
use argos_checks::{AgentResult, Status};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use super::*;

fn config_text(db_url: &str) -> String {
    let site = |i: u32| {
        format!(
            "  - domain: \"https://site{i}.example\"\n    paths:\n      - path: \"/\"\n        checks:\n          - status-is: 200\n"
        )
    };
    format!(
        "general:\n  db:\n    url: \"{db_url}\"\n  cookie_secret: \"0123456789abcdef0123\"\n  frequency: \"5m\"\n  ipv6: false\n  alerts:\n    ok: [local]\n    warning: [local]\n    critical: [local]\n    unknown: [local]\n    no_agent: [local]\nservice:\n  secrets: [t]\nssl:\n  thresholds:\n    - \"1d\": critical\nrecurring_tasks:\n  max_results_age: \"1d\"\n  max_lock_seconds: 100\n  time_without_agent: 5\nwebsites:\n{}{}{}",
        site(1),
        site(2),
        site(3)
    )
}

fn load(text: &str) -> Config {
    config::load_str(text, Path::new("config.yaml"), &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn state() -> Arc<AppState> {
    let cfg = load(&config_text("sqlite::memory:"));
    let store = Store::connect("sqlite::memory:", 1).await.unwrap();
    store.migrate().await.unwrap();
    apply_config(&store, &cfg).await.unwrap();
    Arc::new(AppState::new(store, cfg))
}

/// Nested deeper than SQLite's JSON parser goes (1,000 levels): a batch carrying it is
/// refused every time it is sent, a persistent error.
fn too_deep() -> Value {
    let mut v = json!(1);
    for _ in 0..1_500 {
        v = json!([v]);
    }
    v
}

#[tokio::test]
async fn a_result_the_store_refuses_is_replaced_and_the_others_are_stored() {
    // Arrange: three leased tasks, the second one's result unstorable.
    let state = state().await;
    let source = Arc::new(LocalSource {
        state: state.clone(),
        name: "embedded@test".into(),
    });
    let tasks = source.lease(10).await.unwrap().tasks;
    assert_eq!(tasks.len(), 3);
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    for (i, task) in tasks.iter().enumerate() {
        let context = if i == 1 {
            json!({ "deep": too_deep() })
        } else {
            json!({})
        };
        let result = AgentResult {
            task_id: task.id,
            status: Status::Success,
            context,
            elapsed_ms: Some(5.0),
            lease_id: None,
        }
        .for_lease_of(task);
        tx.send(result).await.unwrap();
    }
    drop(tx);

    // Act: the reporter returns once every result is settled (before, it took the refusal
    // for an unreachable server and retried the batch forever).
    let reporting = argos_agent::report::report(source, rx);
    tokio::time::timeout(Duration::from_secs(20), reporting)
        .await
        .expect("the reporter kept retrying a batch the store refuses");

    // Assert: the others are stored as sent, the refused one as an error saying why.
    for (i, task) in tasks.iter().enumerate() {
        let results = state.store.task_results(task.id, None, 10).await.unwrap();
        assert_eq!(results.len(), 1, "task {i}: {results:?}");
        let r = &results[0];
        if i == 1 {
            assert_eq!(r.status, Status::Error);
            assert_eq!(r.context["error_type"], "UndeliverableResult");
            let message = r.context["error_message"].as_str().unwrap();
            assert!(message.contains("malformed JSON"), "{message}");
        } else {
            assert_eq!(r.status, Status::Success, "task {i}");
        }
    }
}

#[tokio::test]
async fn store_errors_that_retrying_cannot_cure_are_not_transient() {
    // A statement the database refuses (here: no such table), as a constraint would be.
    let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
    let statement = sqlx::query("INSERT INTO nowhere VALUES (1)")
        .execute(&pool)
        .await;
    let error = crate::store::Error::Db(statement.unwrap_err());
    assert!(!error.is_transient(), "{error}");
    assert!(matches!(
        refused(&error),
        SourceError::Rejected { status: 422, .. }
    ));
    // The database out of reach, or too busy: worth trying again.
    assert!(crate::store::Error::Db(sqlx::Error::PoolTimedOut).is_transient());
    let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
    assert!(crate::store::Error::Db(sqlx::Error::Io(io)).is_transient());
    assert!(!crate::store::Error::NotFound.is_transient());
}

#[test]
fn a_reload_keeps_and_names_the_keys_read_at_start_up() {
    let running = load(&config_text("sqlite:///a.db"));
    let mut new = load(&config_text("sqlite:///b.db").replace(
        "  ipv6: false\n",
        "  ipv6: false\n  embedded_agent: false\n  root_path: \"/new\"\n",
    ));
    let keys = keep_startup_keys(&running, &mut new);
    assert_eq!(keys, ["general.db.url", "general.embedded_agent"]);
    assert_eq!(new.general.db.url, "sqlite:///a.db");
    assert!(new.general.embedded_agent);
    assert_eq!(new.general.root_path, "/new", "applied at once");
    let mut same = load(&config_text("sqlite:///a.db"));
    assert!(keep_startup_keys(&running, &mut same).is_empty());
}

#[test]
fn retention_cutoffs_never_overflow() {
    let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    let hundred_years = config::MAX_DURATION;
    assert_eq!(
        now - cutoff(now, hundred_years),
        TimeDelta::days(36_600),
        "the bound itself"
    );
    for huge in [Duration::MAX, Duration::from_secs(u64::MAX / 1000)] {
        assert_eq!(cutoff(now, huge), DateTime::<Utc>::MIN_UTC);
    }
    let first = DateTime::<Utc>::MIN_UTC + TimeDelta::days(1);
    assert_eq!(cutoff(first, hundred_years), DateTime::<Utc>::MIN_UTC);
}

#[tokio::test]
async fn connect_errors_say_why_without_the_password() {
    // Nothing listens on port 1.
    let url = "postgresql://argos:Sup3rS3cret@127.0.0.1:1/argos";
    let e = Store::connect(url, 2).await.unwrap_err().to_string();
    assert!(!e.contains("Sup3rS3cret"), "{e}");
    // The cause itself, not the pool's "timed out" after retrying for seconds.
    assert!(e.contains("refused"), "{e}");
    let mut cfg = load(&config_text("sqlite::memory:"));
    cfg.general.db.url = url.into();
    let e = format!("{:#}", open_store(&cfg).await.err().unwrap());
    assert!(
        !e.contains("Sup3rS3cret") && e.contains("general.db.url"),
        "{e}"
    );
}
