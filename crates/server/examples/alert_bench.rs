//! Alerting figures for the issue notes: how fast alerts leave when 1,000 domains fail at
//! once (one summary per channel, or one message per domain), and how long after a site goes
//! down its alert leaves with `frequency: 1m`, `recheck_delay: 10s`, R = 1.
//!
//! ```sh
//! cargo run --release -p argos-server --example alert_bench                  # SQLite
//! DATABASE_URL=postgres://postgres@127.0.0.1/postgres \
//!   cargo run --release -p argos-server --example alert_bench                # + PostgreSQL
//! cargo run --release -p argos-server --example alert_bench -- --time-to-alert 3   # + 3 outages (~1 min each)
//! ```
//!
//! Alerts go to a webhook receiver on loopback that answers at once, so the figures are the
//! server's (store, notifier, rendering, HTTP), not a third party's.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use argos_checks::{AgentResult, Status};
use argos_server::app::{App, ServeOptions};
use argos_server::config::{self, LoadOptions};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde_json::Value;

/// Counts what a webhook receives: messages and the alerts in them.
#[derive(Clone, Default)]
struct Counter {
    messages: Arc<AtomicUsize>,
    alerts: Arc<AtomicUsize>,
}

async fn receiver() -> (Counter, u16) {
    let c = Counter::default();
    let router = Router::new()
        .route(
            "/hook",
            post(
                |State(c): State<Counter>, body: axum::Json<Value>| async move {
                    let n = body["alerts"].as_array().map_or(1, Vec::len);
                    c.alerts.fetch_add(n, Ordering::SeqCst);
                    c.messages.fetch_add(1, Ordering::SeqCst);
                    StatusCode::NO_CONTENT
                },
            ),
        )
        .with_state(c.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (c, port)
}

fn config_text(db_url: &str, hook: u16, general: &str, websites: &str) -> String {
    format!(
        "general:\n  db:\n    url: \"{db_url}\"\n    pool_size: 4\n  cookie_secret: \"bench-secret-0123456789abcdef0123456789\"\n  frequency: \"1m\"\n  ipv6: false\n{general}  webhooks:\n    w:\n      url: \"http://127.0.0.1:{hook}/hook\"\n  alerts:\n    ok: [\"webhook:w\"]\n    warning: [\"webhook:w\"]\n    critical: [\"webhook:w\"]\n    unknown: [\"webhook:w\"]\n    no_agent: [\"webhook:w\"]\nservice:\n  secrets: [\"t\"]\nssl:\n  thresholds:\n    - \"1d\": critical\nrecurring_tasks:\n  max_results_age: \"1d\"\n  max_lock_seconds: 100\n  time_without_agent: 5\nwebsites:\n{websites}"
    )
}

async fn start(
    text: &str,
    embedded_agent: bool,
) -> (
    Arc<argos_server::state::AppState>,
    tokio::sync::oneshot::Sender<()>,
) {
    let dir = std::env::temp_dir().join(format!("argos-alert-bench-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.yaml");
    std::fs::write(&path, text).unwrap();
    let cfg = config::load(&path, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let opts = ServeOptions {
        host: "127.0.0.1".into(),
        port: 0,
        embedded_agent,
        strict: false,
        notifier: true,
    };
    let app = App::build(cfg, &opts).await.unwrap();
    let state = app.state();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    (state, tx)
}

/// 1,000 domains fail at once: results are ingested in batches of 200, as an agent posts
/// them; the clock runs until the receiver has every alert.
async fn storm(label: &str, db_url: &str, threshold: u32) -> (f64, usize) {
    let (counter, hook) = receiver().await;
    let sites: String = (0..1000)
        .map(|i| format!("  - domain: \"https://site{i}.bench.invalid\"\n    paths: [{{path: \"/\", checks: [{{status-is: 200}}]}}]\n"))
        .collect();
    let general = format!("  alert_storm_threshold: {threshold}\n");
    let (state, stop) = start(&config_text(db_url, hook, &general, &sites), false).await;
    let tasks = state.lease("bench-agent", 1000).await.unwrap();
    assert_eq!(tasks.len(), 1000, "{label}: every task leased");
    let t = Instant::now();
    for chunk in tasks.chunks(200) {
        let results: Vec<AgentResult> = chunk
            .iter()
            .map(|task| AgentResult {
                task_id: task.id,
                status: Status::Failure,
                context: serde_json::json!({"detail": "the status is 503, not 200"}),
                elapsed_ms: Some(3.0),
                lease_id: task.lease_id.clone(),
            })
            .collect();
        state.ingest("bench-agent", &results).await.unwrap();
    }
    while counter.alerts.load(Ordering::SeqCst) < 1000 {
        assert!(
            t.elapsed() < Duration::from_secs(300),
            "{label}: alerts still missing after 5 min"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = t.elapsed().as_secs_f64();
    let _ = stop.send(());
    (elapsed, counter.messages.load(Ordering::SeqCst))
}

/// One real outage with the embedded agent checking a local site every minute: seconds from
/// the site going down to the alert reaching the receiver.
/// The site's switch and the time of its first 503 since it went down.
type Site = (Arc<AtomicBool>, Arc<std::sync::Mutex<Option<Instant>>>);

/// Outages: (seconds from the site going down, seconds from its first failed check) to the
/// alert reaching the receiver.
async fn time_to_alert(db_url: &str, samples: usize) -> Vec<(f64, f64)> {
    let (counter, hook) = receiver().await;
    let up = Arc::new(AtomicBool::new(true));
    // When the site first answered 503 after going down: the first failed check.
    let first_failure: Arc<std::sync::Mutex<Option<Instant>>> = Arc::default();
    let state = (up.clone(), first_failure.clone());
    let site = Router::new()
        .route(
            "/",
            get(|State((up, first)): State<Site>| async move {
                if up.load(Ordering::SeqCst) {
                    return StatusCode::OK;
                }
                first.lock().unwrap().get_or_insert_with(Instant::now);
                StatusCode::SERVICE_UNAVAILABLE
            }),
        )
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, site).await });
    let general = "  recheck_delay: \"10s\"\n  retry_before_notification: 1\n";
    let sites = format!(
        "  - domain: \"http://127.0.0.1:{port}\"\n    paths: [{{path: \"/\", checks: [{{status-is: 200}}]}}]\n"
    );
    let (_state, stop) = start(&config_text(db_url, hook, general, &sites), true).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let mut out = Vec::new();
    for i in 0..samples {
        // Go down at an arbitrary point of the minute, as outages do.
        tokio::time::sleep(Duration::from_millis(7_919 * (i as u64 + 1) % 60_000)).await;
        let before = counter.messages.load(Ordering::SeqCst);
        *first_failure.lock().unwrap() = None;
        up.store(false, Ordering::SeqCst);
        let t = Instant::now();
        while counter.messages.load(Ordering::SeqCst) == before {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let failed = first_failure
            .lock()
            .unwrap()
            .expect("a failed check came first");
        let (down, checked) = (t.elapsed().as_secs_f64(), failed.elapsed().as_secs_f64());
        out.push((down, checked));
        println!(
            "  outage {}: alert after {down:.1} s, {checked:.1} s after the first failed check",
            i + 1
        );
        up.store(true, Ordering::SeqCst);
        let recovered = counter.messages.load(Ordering::SeqCst);
        while counter.messages.load(Ordering::SeqCst) == recovered {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let _ = stop.send(());
    out
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let outages = args
        .iter()
        .position(|a| a == "--time-to-alert")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("argos-alert-bench-db-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut backends = vec![("SQLite", None)];
    if let Ok(url) = std::env::var("DATABASE_URL") {
        backends.push(("PostgreSQL", Some(url)));
    }
    println!(
        "| backend | 1,000 domains fail at once | messages | time to deliver all | alerts/s |"
    );
    println!("|---|---|---|---|---|");
    for (label, pg) in &backends {
        for (mode, threshold) in [("grouped (summary)", 10), ("ungrouped", 1_000_000)] {
            let url = match pg {
                Some(url) => fresh_pg(url).await,
                None => format!(
                    "sqlite:///{}",
                    dir.join(format!("{mode}.db").replace(' ', "_")).display()
                ),
            };
            let (secs, messages) = storm(label, &url, threshold).await;
            if let Some(admin) = pg {
                drop_pg(admin, &url).await;
            }
            println!(
                "| {label} | {mode} | {messages} | {secs:.3} s | {:.0} |",
                1000.0 / secs
            );
        }
    }
    if outages > 0 {
        println!(
            "\nTime from a site going down to its alert (frequency 1m, recheck_delay 10s, R = 1, SQLite):"
        );
        let url = format!("sqlite:///{}", dir.join("outage.db").display());
        let times = time_to_alert(&url, outages).await;
        let n = times.len() as f64;
        let mean = times.iter().map(|t| t.0).sum::<f64>() / n;
        let checked = times.iter().map(|t| t.1).sum::<f64>() / n;
        println!(
            "  mean {mean:.1} s from the outage (whose first check comes up to one frequency later), {checked:.1} s from the first failed check, over {} outages",
            times.len()
        );
    }
}

/// A new database on the server of `admin_url`, for one run.
async fn fresh_pg(admin_url: &str) -> String {
    use sqlx::Connection;
    let name = format!("argos_alert_bench_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(admin_url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let mut url = url::Url::parse(admin_url).unwrap();
    url.set_path(&name);
    url.to_string()
}

/// Drops the database of `url` (made by [`fresh_pg`]).
async fn drop_pg(admin_url: &str, url: &str) {
    use sqlx::Connection;
    let name = url::Url::parse(url)
        .unwrap()
        .path()
        .trim_start_matches('/')
        .to_owned();
    let mut admin = sqlx::PgConnection::connect(admin_url).await.unwrap();
    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    let _ = sqlx::query(sqlx::AssertSqlSafe(drop))
        .execute(&mut admin)
        .await;
}
