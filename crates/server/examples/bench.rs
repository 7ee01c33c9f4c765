//! Figures for the issue notes, printed as a table. Not a test: these machines are shared and
//! noisy, so compare ratios within one run rather than absolute times across runs.
//!
//! ```sh
//! cargo run --release -p argos-server --example bench            # SQLite only
//! DATABASE_URL=postgres://postgres@127.0.0.1/postgres ARGOS_PYTHON_AGENT=/opt/argos-py/bin/argos \
//!   cargo run --release -p argos-server --example bench            # + PostgreSQL and the Python baseline
//! ```
//!
//! 1. Config reload at scale: a 10,000-website config (10,000 hosts, 2 checks per path, IPv4 and IPv6:
//!    40,000 tasks): load + validate, plan, first sync, unchanged re-sync, one-site change.
//! 2. Cold run: 1,200 websites × 2 checks (2,400 checks, 1,200 requests) against a loopback
//!    server answering in 20 ms: time from start until every task has a result, with our agent,
//!    and with the Python reference agent as the baseline when `ARGOS_PYTHON_AGENT` is set.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use argos_agent::RunOptions;
use argos_agent::http::HttpSource;
use argos_checks::probe::{Probe, ProbeOptions};
use argos_server::app::{App, ServeOptions};
use argos_server::config::{self, LoadOptions};
use argos_server::plan::plan;
use argos_server::store::Store;
use axum::Router;

const TOKEN: &str = "bench-token";

fn config_text(db_url: &str, websites: &str, ipv6: bool) -> String {
    format!(
        "general:\n  db:\n    url: \"{db_url}\"\n  cookie_secret: \"bench-secret-0123456789abcdef0123456789\"\n  frequency: \"5m\"\n  ipv6: {ipv6}\n  embedded_agent: false\n  alerts:\n    ok: [local]\n    warning: [local]\n    critical: [local]\n    unknown: [local]\n    no_agent: [local]\nservice:\n  secrets: [\"{TOKEN}\"]\nssl:\n  thresholds:\n    - \"1d\": critical\n    - \"5d\": warning\nrecurring_tasks:\n  max_results_age: \"1d\"\n  max_lock_seconds: 100\n  time_without_agent: 5\nwebsites:\n{websites}"
    )
}

/// `n` websites with two checks each; `{i}` in `domain` is replaced by the site's number.
fn sites(n: usize, domain: &str) -> String {
    (0..n)
        .map(|i| {
            let domain = domain.replace("{i}", &i.to_string());
            format!("  - domain: \"{domain}\"\n    paths:\n      - path: \"page\"\n        checks:\n          - status-is: 200\n          - body-contains: \"ok\"\n")
        })
        .collect()
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

async fn reload_figures(label: &str, db_url: &str, dir: &Path) {
    let path = dir.join(format!("big-{label}.yaml"));
    std::fs::write(
        &path,
        config_text(
            db_url,
            &sites(10_000, "http://site{i}.bench.invalid/"),
            true,
        ),
    )
    .unwrap();
    let t = Instant::now();
    let cfg = config::load(&path, &LoadOptions::default()).expect("bench config");
    let load = t.elapsed();
    let t = Instant::now();
    let desired = plan(&cfg);
    let planned = t.elapsed();
    let store = Store::connect(db_url, 10).await.unwrap();
    store.migrate().await.unwrap();
    let t = Instant::now();
    let first = store
        .sync_tasks(&desired, chrono::Utc::now())
        .await
        .unwrap();
    let first_t = t.elapsed();
    let t = Instant::now();
    let again = store
        .sync_tasks(&desired, chrono::Utc::now())
        .await
        .unwrap();
    let again_t = t.elapsed();
    let mut changed = desired.clone();
    changed[0].frequency_s = 60.0;
    changed[1].frequency_s = 60.0;
    let t = Instant::now();
    store
        .sync_tasks(&changed, chrono::Utc::now())
        .await
        .unwrap();
    let change_t = t.elapsed();
    println!(
        "reload, {label}: {} tasks | load+validate {} | plan {} | first sync {} (+{}) | unchanged reload {} ({} unchanged) | one-site change {}",
        desired.len(),
        secs(load),
        secs(planned),
        secs(first_t),
        first.added,
        secs(again_t),
        again.unchanged,
        secs(change_t)
    );
    println!(
        "reload, {label}: full reload (load + plan + unchanged sync) = {}",
        secs(load + planned + again_t)
    );
    page_figures(label, &store).await;
}

/// What the pages ask of the store with 40,000 tasks: median of 20 runs each.
async fn page_figures(label: &str, store: &Store) {
    use argos_server::store::DomainFilter;
    let mut times = Vec::new();
    let cases = [
        ("dashboard counts", 0),
        ("domains page 1 (100 rows)", 1),
        ("domains page 50, not-ok filter", 2),
    ];
    for (name, page) in cases {
        let mut runs = Vec::new();
        for _ in 0..20 {
            let t = Instant::now();
            match page {
                0 => drop(store.severity_counts().await.unwrap()),
                1 => drop(
                    store
                        .domains_page(
                            DomainFilter::All,
                            None,
                            argos_server::store::DomainSort::Severity,
                            0,
                            100,
                        )
                        .await
                        .unwrap(),
                ),
                _ => drop(
                    store
                        .domains_page(
                            DomainFilter::NotOk,
                            None,
                            argos_server::store::DomainSort::Severity,
                            4_900,
                            100,
                        )
                        .await
                        .unwrap(),
                ),
            }
            runs.push(t.elapsed());
        }
        runs.sort();
        times.push(format!(
            "{name} {:.1} ms",
            runs[runs.len() / 2].as_secs_f64() * 1000.0
        ));
    }
    println!("pages, {label}, 40000 tasks: {}", times.join(" | "));
}

async fn slow_site() -> u16 {
    let router = Router::new().fallback(|| async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        "ok site"
    });
    argos_testkit::spawn_http(router).await.port()
}

async fn wait_done(store: &Store, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        let s = store.stats(chrono::Utc::now()).await.unwrap();
        if s.upcoming_tasks_count == 0 && s.selected_tasks_count == 0 {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

async fn cold_run(label: &str, dir: &Path, port: u16, python: Option<&str>) -> Option<Duration> {
    let db = dir.join(format!("cold-{label}.db"));
    let path = dir.join(format!("cold-{label}.yaml"));
    let url = format!("sqlite:///{}", db.display());
    std::fs::write(
        &path,
        config_text(
            &url,
            &sites(1_200, &format!("http://127.0.0.1:{port}/site{{i}}/")),
            false,
        ),
    )
    .unwrap();
    let cfg = config::load(&path, &LoadOptions::default()).unwrap();
    let opts = ServeOptions {
        host: "127.0.0.1".into(),
        port: 0,
        embedded_agent: false,
        strict: false,
        notifier: true,
    };
    let app = App::build(cfg, &opts).await.unwrap();
    let base = format!("http://{}", app.local_addr().unwrap());
    let store = app.state().store.clone();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stop_rx.await;
    }));
    let t = Instant::now();
    let done = match python {
        None => {
            let source = HttpSource::new(&base, TOKEN, "bench", "bench").unwrap();
            let probe = Probe::new(ProbeOptions::default()).unwrap();
            let (atx, arx) = tokio::sync::oneshot::channel::<()>();
            let run = RunOptions {
                max_in_flight: 100,
                idle_wait: Duration::from_millis(200),
                ..RunOptions::default()
            };
            let agent = tokio::spawn(argos_agent::run(
                Arc::new(source),
                Arc::new(probe),
                run,
                async move {
                    let _ = arx.await;
                },
            ));
            let done = wait_done(&store, Duration::from_secs(300)).await;
            let _ = atx.send(());
            let _ = agent.await;
            done
        }
        Some(exe) => {
            let mut child = tokio::process::Command::new(exe)
                .args([
                    "agent",
                    &base,
                    TOKEN,
                    "--max-tasks",
                    "100",
                    "--wait-time",
                    "1",
                    "--log-level",
                    "ERROR",
                ])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .expect("starting the Python agent");
            let done = wait_done(&store, Duration::from_secs(600)).await;
            let _ = child.kill().await;
            done
        }
    };
    let elapsed = t.elapsed();
    let _ = stop_tx.send(());
    let _ = server.await;
    let counts = store.severity_counts().await.unwrap();
    println!(
        "cold run, {label}: 2400 checks in {} (ok {}, critical {}, unknown {}){}",
        secs(elapsed),
        counts.ok,
        counts.critical,
        counts.unknown,
        if done { "" } else { " — DID NOT FINISH" }
    );
    done.then_some(elapsed)
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite:///{}", dir.path().join("reload.db").display());
    reload_figures("sqlite", &sqlite, dir.path()).await;
    if std::env::var("DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        let here = dir.path();
        argos_testkit::postgres::with_database(|url| async move {
            reload_figures("postgresql", &url, here).await
        })
        .await;
    }
    let port = slow_site().await;
    let ours = cold_run("our agent", dir.path(), port, None).await;
    if let Some(exe) = std::env::var("ARGOS_PYTHON_AGENT")
        .ok()
        .filter(|e| !e.is_empty())
    {
        let theirs = cold_run("Python agent (baseline)", dir.path(), port, Some(&exe)).await;
        if let (Some(a), Some(b)) = (ours, theirs) {
            println!(
                "cold run: our agent is {:.1}× faster than the Python agent",
                b.as_secs_f64() / a.as_secs_f64()
            );
        }
    }
}
