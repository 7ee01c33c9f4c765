//! Page latency at scale: 10,000 domains, 30,000 tasks, 24 hours of raw results every 5
//! minutes (8.6 million), hourly roll-ups for 30 days (21.6 million) and daily ones for a
//! year (11 million), seeded with set-based SQL by a child process (so that its large SQLite
//! cache does not count as the server's memory); then the server runs in this process and
//! each page is requested over HTTP, one request at a time. Prints p50/p95 per page, the
//! server's memory (this process's VmRSS, which includes the small HTTP client), and what
//! roll-ups cost at ingest. Target: p95 under 50 ms for each page.
//!
//! ```sh
//! cargo run --release -p argos-server --example page_bench                 # SQLite
//! DATABASE_URL=postgres://postgres@127.0.0.1/postgres \
//!   cargo run --release -p argos-server --example page_bench               # + PostgreSQL
//! cargo run --release -p argos-server --example page_bench -- --domains 1000 --requests 50
//! cargo run --release -p argos-server --example page_bench -- --ingest-only
//! ```
//!
//! Seeding takes a few minutes per backend (progress on stderr). With `--explain`, every
//! PostgreSQL statement of one more round of requests is logged with its plan (EXPLAIN
//! ANALYZE, through `auto_explain`) in the PostgreSQL server log.

#[path = "page_bench/ingest.rs"]
mod ingest;
#[path = "page_bench/measure.rs"]
mod measure;
#[path = "page_bench/seed.rs"]
mod seed;

use std::path::Path;
use std::time::{Duration, Instant};

use argos_checks::{Severity, Status};
use argos_server::app::{App, ServeOptions};
use argos_server::config::{self, LoadOptions};
use argos_server::store::{Finished, Store};
use chrono::TimeDelta;
use measure::{Row, Seeded};
use seed::Db;

/// What to run (`--domains N`, `--requests N`, `--ingest-only`, `--explain`; and
/// `--seed URL NOW_MS`, the child process that seeds).
struct Args {
    domains: usize,
    requests: usize,
    ingest_only: bool,
    explain: bool,
    seed: Option<(String, i64)>,
}

impl Args {
    fn parse() -> Args {
        let mut args = Args {
            domains: 10_000,
            requests: 200,
            ingest_only: false,
            explain: false,
            seed: None,
        };
        let mut it = std::env::args().skip(1);
        while let Some(a) = it.next() {
            let mut number = || it.next().and_then(|n| n.parse().ok()).expect("a number");
            match a.as_str() {
                "--domains" => args.domains = number(),
                "--requests" => args.requests = number(),
                "--ingest-only" => args.ingest_only = true,
                "--explain" => args.explain = true,
                "--seed" => {
                    let url = it.next().expect("a database URL");
                    let now = it.next().and_then(|n| n.parse().ok()).expect("a time");
                    args.seed = Some((url, now));
                }
                other => panic!("unknown argument {other:?}"),
            }
        }
        args
    }
}

/// 3 tasks per domain (one request group: status, body, certificate), IPv4 only.
fn config_text(db_url: &str, domains: usize) -> String {
    let sites: String = (0..domains)
        .map(|i| {
            format!(
                "  - domain: \"https://site{i}.bench.invalid\"\n    paths:\n      - path: \"/\"\n        checks:\n          - status-is: 200\n          - body-contains: \"ok\"\n          - ssl-certificate-expiration: \"on-check\"\n"
            )
        })
        .collect();
    format!(
        "general:\n  db:\n    url: \"{db_url}\"\n    pool_size: 10\n  cookie_secret: \"bench-secret-0123456789abcdef0123456789\"\n  frequency: \"5m\"\n  ipv6: false\n  embedded_agent: false\n  unauthenticated_access: \"all\"\n  alerts:\n    ok: [local]\n    warning: [local]\n    critical: [local]\n    unknown: [local]\n    no_agent: [local]\nservice:\n  secrets: [\"t\"]\nssl:\n  thresholds:\n    - \"1d\": critical\n    - \"5d\": warning\nrecurring_tasks:\n  max_results_age: \"2d\"\n  max_lock_seconds: 100\n  time_without_agent: 5\nwebsites:\n{sites}"
    )
}

/// Seeds the store at `db_url`, serves it, measures every page.
async fn run(
    backend: &'static str,
    db_url: &str,
    dir: &Path,
    args: &Args,
) -> anyhow::Result<Vec<Row>> {
    eprintln!("{backend}: syncing {} domains' tasks", args.domains);
    let path = dir.join(format!("{backend}.yaml"));
    std::fs::write(&path, config_text(db_url, args.domains))?;
    let cfg = config::load(&path, &LoadOptions::default())?;
    let opts = ServeOptions {
        host: "127.0.0.1".into(),
        port: 0,
        embedded_agent: false,
        strict: false,
        notifier: false,
    };
    let app = App::build(cfg, &opts).await?;
    let t = Instant::now();
    seed_in_child(db_url)?;
    eprintln!("{backend}: seeded in {:.0} s", t.elapsed().as_secs_f64());
    let db = seed::connect(db_url, false).await?;
    let seeded = Seeded {
        domains: args.domains,
        first_task: db
            .scalar("SELECT CAST(min(id) AS BIGINT) FROM argos_tasks")
            .await?,
        tasks: db.scalar("SELECT count(*) FROM argos_tasks").await?,
    };
    let base = format!("http://{}", app.local_addr()?);
    let store = app.state().store.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let rows = measure::measure(backend, &base, seeded, args.requests).await?;
    println!(
        "{backend}: server process VmRSS after the requests: {}",
        rss()
    );
    if args.explain {
        explain_round(&db, &base, seeded).await?;
    }
    purge_one_day(&store).await?;
    let _ = stop.send(());
    server.await??;
    Ok(rows)
}

/// Seeds `db_url` in a child process (this program with `--seed`), so that the seeding
/// connection's memory never counts as the server's.
fn seed_in_child(db_url: &str) -> anyhow::Result<()> {
    let now = chrono::Utc::now().timestamp_millis().to_string();
    let status = std::process::Command::new(std::env::current_exe()?)
        .args(["--seed", db_url, &now])
        .status()?;
    anyhow::ensure!(status.success(), "seeding failed: {status}");
    Ok(())
}

/// Retention of one day of hourly roll-ups (30,000 tasks × 24 buckets), in bounded batches,
/// while an agent keeps posting batches: how long its lease + ingest takes meanwhile.
async fn purge_one_day(store: &Store) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let agent = tokio::spawn(agent_during(store.clone(), done.clone()));
    let t = Instant::now();
    let purged = store
        .purge_rollups(now - TimeDelta::days(29), now - TimeDelta::days(400))
        .await;
    let took = t.elapsed();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let (batches, slowest) = agent.await??;
    println!(
        "{}: retention deleted {} hourly roll-ups in {:.1} s; meanwhile {batches} agent batches \
         (lease + ingest), the slowest {:.0} ms",
        store.backend(),
        purged?,
        took.as_secs_f64(),
        slowest.as_secs_f64() * 1000.0
    );
    Ok(())
}

/// Leases and reports up to 200 request groups every 200 ms until `done`; the number of
/// rounds and the slowest.
async fn agent_during(
    store: Store,
    done: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> anyhow::Result<(usize, Duration)> {
    let (mut rounds, mut slowest) = (0, Duration::ZERO);
    while !done.load(std::sync::atomic::Ordering::SeqCst) {
        let t = Instant::now();
        let now = chrono::Utc::now();
        let leased = store
            .lease("bench", 200, Duration::from_secs(60), now)
            .await?;
        let results: Vec<Finished> = leased
            .iter()
            .map(|task| Finished {
                task_id: task.id,
                status: Status::Success,
                severity: Severity::Ok,
                context: serde_json::json!({"timings": {"total_ms": 50.0}}),
                elapsed_ms: Some(50.0),
            })
            .collect();
        store.ingest("bench", &results, now).await?;
        slowest = slowest.max(t.elapsed());
        rounds += 1;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok((rounds, slowest))
}

/// Logs the plan of every statement of one round of requests per page (PostgreSQL's
/// `auto_explain`, turned on for new sessions of this database).
async fn explain_round(db: &Db, base: &str, seeded: Seeded) -> anyhow::Result<()> {
    let Db::Pg(pool) = db else { return Ok(()) };
    let name: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(pool)
        .await?;
    for setting in [
        "session_preload_libraries = 'auto_explain'",
        "auto_explain.log_min_duration = 0",
        "auto_explain.log_analyze = on",
        "auto_explain.log_buffers = on",
    ] {
        let sql = format!("ALTER DATABASE {name} SET {setting}");
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(pool)
            .await?;
    }
    // New connections pick the settings up: the server's pool is closed and reopened by the
    // bench's next requests only after its idle timeout, so end its sessions now.
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        .execute(pool)
        .await?;
    let _ = measure::measure("explain", base, seeded, 1).await;
    println!(
        "postgresql: plans of one request per page are in the PostgreSQL log (database {name})"
    );
    Ok(())
}

/// This process's resident memory, from `/proc/self/status`.
fn rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(|l| l[6..].trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some((url, now_ms)) = &args.seed {
        let db = seed::connect(url, true).await?;
        seed::seed(&db, *now_ms).await?;
        // The seed wrote task states behind the store's back: bring the domains page's
        // summaries up to date, as ingestion would have.
        let store = argos_server::store::Store::connect(url, 1).await?;
        store.rebuild_domains().await?;
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let pg = std::env::var("DATABASE_URL").is_ok_and(|u| !u.is_empty());
    if !args.ingest_only {
        let sqlite = format!("sqlite:///{}", dir.path().join("pages.db").display());
        let mut rows = run("sqlite", &sqlite, dir.path(), &args).await?;
        if pg {
            let found = std::sync::Mutex::new(Vec::new());
            let (here, args, out) = (dir.path(), &args, &found);
            argos_testkit::postgres::with_database(|url| async move {
                let got = run("postgresql", &url, here, args)
                    .await
                    .expect("the PostgreSQL run");
                out.lock().expect("not poisoned").extend(got);
            })
            .await;
            rows.extend(found.into_inner().expect("not poisoned"));
        }
        measure::print_table(&rows);
    }
    let sqlite = format!("sqlite:///{}", dir.path().join("ingest.db").display());
    ingest::run("sqlite", &sqlite).await?;
    if pg {
        argos_testkit::postgres::with_database(|url| async move {
            ingest::run("postgresql", &url)
                .await
                .expect("the PostgreSQL ingest run");
        })
        .await;
    }
    Ok(())
}
