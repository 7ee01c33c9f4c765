//! Several lease and report calls in flight against a slow server (200 ms per call): the
//! configured number of calls overlap, never more, and every result lands exactly once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argos_agent::{Lease, RunOptions, SourceError, TaskSource, run};
use argos_checks::probe::{Probe, ProbeOptions};
use argos_checks::{AgentResult, Status, Task};
use axum::Router;

/// How long the server takes for any call.
const CALL: Duration = Duration::from_millis(200);

/// Calls of one kind in flight now, and the most seen at once.
#[derive(Default)]
struct Gauge {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl Gauge {
    /// Counts a call in flight for `CALL`.
    async fn call(&self) {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(CALL).await;
        self.now.fetch_sub(1, Ordering::SeqCst);
    }

    fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

/// Hands out its tasks (as many groups as asked), records every result that lands.
#[derive(Default)]
struct SlowServer {
    tasks: Mutex<Vec<Task>>,
    leases: Gauge,
    reports: Gauge,
    landed: Mutex<Vec<AgentResult>>,
}

impl TaskSource for SlowServer {
    async fn lease(&self, max_groups: u32) -> Result<Lease, SourceError> {
        self.leases.call().await;
        let mut tasks = self.tasks.lock().unwrap();
        let n = tasks.len().min(max_groups as usize);
        Ok(tasks.drain(..n).collect::<Vec<_>>().into())
    }

    async fn report(&self, results: &[AgentResult]) -> Result<(), SourceError> {
        self.reports.call().await;
        self.landed.lock().unwrap().extend_from_slice(results);
        Ok(())
    }
}

/// Runs `count` checks of a fast local site through a slow server; returns the server once
/// every result landed (and the agent stopped).
async fn check_through_slow_server(count: i64, leases: usize, reports: usize) -> Arc<SlowServer> {
    let port = argos_testkit::spawn_http(Router::new().fallback(|| async { "ok" }))
        .await
        .port();
    let tasks = (1..=count)
        .map(|i| {
            Task::get(
                i,
                &format!("http://127.0.0.1:{port}/{i}"),
                "status-is",
                "200",
            )
        })
        .collect();
    let server = Arc::new(SlowServer {
        tasks: Mutex::new(tasks),
        ..SlowServer::default()
    });
    let opts = RunOptions {
        max_in_flight: 150,
        idle_wait: Duration::from_millis(100),
        leases_in_flight: leases,
        reports_in_flight: reports,
    };
    let probe = Arc::new(Probe::new(ProbeOptions::default()).unwrap());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let agent = tokio::spawn(run(server.clone(), probe, opts, async move {
        let _ = stop_rx.await;
    }));
    let landed = || server.landed.lock().unwrap().len();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while landed() < count as usize {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} landed",
            landed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop_tx.send(());
    agent.await.unwrap().unwrap();
    server
}

/// Every task's result landed once, and it is the check's own.
fn assert_each_landed_once(server: &SlowServer, count: i64) {
    let landed = server.landed.lock().unwrap();
    let mut ids: Vec<i64> = landed.iter().map(|r| r.task_id).collect();
    ids.sort_unstable();
    assert_eq!(ids, (1..=count).collect::<Vec<_>>());
    assert!(landed.iter().all(|r| r.status == Status::Success));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_lease_and_report_calls_overlap_and_every_result_lands_once() {
    // 150 groups per lease call, two calls at once: 300 results per round trip, more than a
    // batch (200) can carry, so posts overlap.
    let server = check_through_slow_server(1200, 2, 4).await;
    assert_each_landed_once(&server, 1200);
    let (leases, reports) = (server.leases.peak(), server.reports.peak());
    assert_eq!(leases, 2, "lease calls in flight at once");
    assert!((2..=4).contains(&reports), "{reports} report calls at once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_call_of_each_at_a_time_when_configured() {
    let server = check_through_slow_server(60, 1, 1).await;
    assert_each_landed_once(&server, 60);
    assert_eq!((server.leases.peak(), server.reports.peak()), (1, 1));
}
