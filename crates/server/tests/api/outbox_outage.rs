//! The notifier when the store fails between a send and its record: the outcome is recorded
//! later, under the claim this process still holds. Before, the claim was renewed for as long
//! as the process lived, so the delivery stayed pending (and a restart sent it again).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use argos_server::store::{AlertKind, NewAlert};
use argos_testkit::spawn_http;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use chrono::Utc;
use serde_json::Value;
use sqlx::{Connection, SqliteConnection};

use crate::alerts::alerting_config;
use crate::helpers::TestApp;

/// Longer than the server's SQLite busy timeout (5 s): its record fails.
const LOCKED_FOR: Duration = Duration::from_secs(7);

/// A webhook receiver that, on its first message, takes the database's write lock for
/// [`LOCKED_FOR`] before answering: the notifier's record right after the send fails.
#[derive(Clone)]
struct LockingHook {
    db_file: String,
    got: Arc<Mutex<Vec<Value>>>,
}

async fn receive(State(h): State<LockingHook>, body: axum::Json<Value>) -> StatusCode {
    let first = {
        let mut got = h.got.lock().unwrap();
        got.push(body.0);
        got.len() == 1
    };
    if first {
        let mut conn = SqliteConnection::connect(&h.db_file).await.unwrap();
        sqlx::raw_sql("BEGIN IMMEDIATE")
            .execute(&mut conn)
            .await
            .unwrap();
        tokio::spawn(async move {
            tokio::time::sleep(LOCKED_FOR).await;
            sqlx::raw_sql("ROLLBACK").execute(&mut conn).await.unwrap();
        });
    }
    StatusCode::NO_CONTENT
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_outcome_the_store_could_not_record_is_recorded_later_and_not_resent() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("argos.db");
    let hook = LockingHook {
        db_file: format!("sqlite://{}", file.display()),
        got: Arc::default(),
    };
    let router = Router::new()
        .route("/hook", post(receive))
        .with_state(hook.clone());
    let hook_port = spawn_http(router).await.port();
    let url = format!("sqlite:///{}", file.display());
    let app = TestApp::spawn(&alerting_config(&url, hook_port, 9), true).await;

    let alert = NewAlert {
        kind: AlertKind::NoAgent,
        task: None,
        result_id: None,
        previous: None,
        severity: argos_checks::Severity::Critical,
        since: Utc::now(),
        detail: Some("a test alert".into()),
        channels: vec!["webhook:hook".into()],
    };
    app.state
        .store
        .insert_alert(&alert, Utc::now())
        .await
        .unwrap();
    app.state.alerts_written.notify_one();

    // Sent once, recorded as sent once the lock is gone, and not sent again.
    let deadline = tokio::time::Instant::now() + LOCKED_FOR + Duration::from_secs(15);
    loop {
        let page = app.state.store.alerts_page(None, 10).await.unwrap();
        if page[0].deliveries[0].status == "sent" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "still {:?}",
            page[0].deliveries
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(hook.got.lock().unwrap().len(), 1, "sent exactly once");
    assert_eq!(app.state.store.pending_deliveries().await.unwrap(), 0);
    app.stop().await;
}
