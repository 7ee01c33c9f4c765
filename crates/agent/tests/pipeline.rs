//! The agent pipeline against an in-process task source: results survive an unreachable
//! server, the in-flight bound holds, and shutdown flushes what is in flight.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argos_agent::{AgentError, Lease, RunOptions, SourceError, TaskSource, run};
use argos_checks::probe::{Probe, ProbeOptions};
use argos_checks::{AgentResult, Task};
use axum::Router;

/// Hands out `tasks` once, fails the first `fail_reports` reports, records what lands.
struct FakeServer {
    tasks: Mutex<Vec<Task>>,
    fail_reports: AtomicUsize,
    landed: Mutex<Vec<AgentResult>>,
    reports: AtomicUsize,
}

impl TaskSource for FakeServer {
    async fn lease(&self, max_groups: u32) -> Result<Lease, SourceError> {
        let mut tasks = self.tasks.lock().unwrap();
        let n = tasks.len().min(max_groups as usize);
        Ok(tasks.drain(..n).collect::<Vec<_>>().into())
    }

    async fn report(&self, results: &[AgentResult]) -> Result<(), SourceError> {
        self.reports.fetch_add(1, Ordering::SeqCst);
        if self.fail_reports.load(Ordering::SeqCst) > 0 {
            self.fail_reports.fetch_sub(1, Ordering::SeqCst);
            return Err(SourceError::Unreachable("connection refused".into()));
        }
        self.landed.lock().unwrap().extend_from_slice(results);
        Ok(())
    }
}

/// Distinct URLs give one request group per task.
fn task(id: i64, url: &str) -> Task {
    Task::get(id, url, "status-is", "200")
}

async fn target(in_flight: Arc<AtomicUsize>, peak: Arc<AtomicUsize>) -> u16 {
    let router = Router::new().fallback(move || {
        let (in_flight, peak) = (in_flight.clone(), peak.clone());
        async move {
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
            in_flight.fetch_sub(1, Ordering::SeqCst);
            "ok"
        }
    });
    argos_testkit::spawn_http(router).await.port()
}

async fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not done after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_are_kept_while_the_server_is_unreachable_and_the_bound_holds() {
    let (in_flight, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let port = target(in_flight, peak.clone()).await;
    // Distinct URLs so every task is its own request (paths differ).
    let tasks = (1..=40)
        .map(|i| task(i, &format!("http://127.0.0.1:{port}/t{i}")))
        .collect();
    let server = Arc::new(FakeServer {
        tasks: Mutex::new(tasks),
        fail_reports: AtomicUsize::new(2),
        landed: Mutex::new(Vec::new()),
        reports: AtomicUsize::new(0),
    });
    let probe = Arc::new(Probe::new(ProbeOptions::default()).unwrap());
    let opts = RunOptions {
        max_in_flight: 8,
        idle_wait: Duration::from_millis(50),
        ..RunOptions::default()
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let agent = tokio::spawn(run(server.clone(), probe, opts, async move {
        let _ = stop_rx.await;
    }));
    // Two failed reports cost 1 s + 2 s of backoff; every result still lands, once.
    wait_for(Duration::from_secs(20), || {
        server.landed.lock().unwrap().len() >= 40
    })
    .await;
    let _ = stop_tx.send(());
    agent.await.unwrap().unwrap();
    let mut ids: Vec<i64> = server
        .landed
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.task_id)
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, (1..=40).collect::<Vec<_>>());
    assert!(server.reports.load(Ordering::SeqCst) >= 3);
    assert!(
        server
            .landed
            .lock()
            .unwrap()
            .iter()
            .all(|r| r.status == argos_checks::Status::Success)
    );
    let peak = peak.load(Ordering::SeqCst);
    assert!(peak <= 8, "at most 8 requests in flight, saw {peak}");
    assert!(
        peak >= 4,
        "the pipeline should run requests concurrently, saw {peak}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_the_checks_in_flight_and_reports_them() {
    let (in_flight, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let port = target(in_flight.clone(), peak).await;
    let tasks = (1..=5)
        .map(|i| task(i, &format!("http://127.0.0.1:{port}/s{i}")))
        .collect();
    let server = Arc::new(FakeServer {
        tasks: Mutex::new(tasks),
        fail_reports: AtomicUsize::new(0),
        landed: Mutex::new(Vec::new()),
        reports: AtomicUsize::new(0),
    });
    let probe = Arc::new(Probe::new(ProbeOptions::default()).unwrap());
    let opts = RunOptions {
        max_in_flight: 5,
        idle_wait: Duration::from_millis(50),
        ..RunOptions::default()
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let agent = tokio::spawn(run(server.clone(), probe, opts, async move {
        let _ = stop_rx.await;
    }));
    // Stop while the five requests are in flight.
    wait_for(Duration::from_secs(5), || {
        in_flight.load(Ordering::SeqCst) > 0
    })
    .await;
    let _ = stop_tx.send(());
    agent.await.unwrap().unwrap();
    assert_eq!(server.landed.lock().unwrap().len(), 5);
}

/// Leases its tasks once; then panics in `lease` or in `report`, as the reporter once did on
/// an error page with a multibyte character at the cut.
struct Panicking {
    tasks: Mutex<Vec<Task>>,
    in_lease: bool,
}

impl TaskSource for Panicking {
    async fn lease(&self, _max_groups: u32) -> Result<Lease, SourceError> {
        let tasks: Vec<Task> = self.tasks.lock().unwrap().drain(..).collect();
        assert!(!(self.in_lease && tasks.is_empty()), "lease panicked");
        Ok(tasks.into())
    }

    async fn report(&self, _results: &[AgentResult]) -> Result<(), SourceError> {
        panic!("report panicked");
    }
}

async fn run_until_it_dies(in_lease: bool) -> AgentError {
    // Tasks whose URL does not parse give `error` results at once, without any request.
    let tasks = (1..=3).map(|i| task(i, "not a url")).collect();
    let source = Arc::new(Panicking {
        tasks: Mutex::new(tasks),
        in_lease,
    });
    let probe = Arc::new(Probe::new(ProbeOptions::default()).unwrap());
    let opts = RunOptions {
        max_in_flight: 2,
        idle_wait: Duration::from_millis(10),
        ..RunOptions::default()
    };
    let never = std::future::pending::<()>();
    let ended = tokio::time::timeout(Duration::from_secs(10), run(source, probe, opts, never));
    ended
        .await
        .expect("the agent must stop when a part of it dies")
        .expect_err("and say so")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_reporter_stops_the_agent_with_an_error() {
    let err = run_until_it_dies(false).await;
    assert!(err.to_string().contains("reporter"), "{err}");
    assert!(err.to_string().contains("report panicked"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_lease_loop_stops_the_agent_with_an_error() {
    let err = run_until_it_dies(true).await;
    assert!(err.to_string().contains("lease loop"), "{err}");
}

/// Hands out one lease, then nothing; records what lands.
struct OneLease {
    lease: Mutex<Option<Lease>>,
    landed: Mutex<Vec<AgentResult>>,
}

impl TaskSource for OneLease {
    async fn lease(&self, _max_groups: u32) -> Result<Lease, SourceError> {
        Ok(self.lease.lock().unwrap().take().unwrap_or_default())
    }

    async fn report(&self, results: &[AgentResult]) -> Result<(), SourceError> {
        self.landed.lock().unwrap().extend_from_slice(results);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_tasks_are_reported_as_errors_beside_the_others() {
    let unreadable =
        argos_checks::Outcome::error("UnreadableTask", "unknown method").into_result(7, None);
    let source = Arc::new(OneLease {
        lease: Mutex::new(Some(Lease {
            tasks: vec![task(1, "not a url")],
            unreadable: vec![unreadable],
        })),
        landed: Mutex::new(Vec::new()),
    });
    let probe = Arc::new(Probe::new(ProbeOptions::default()).unwrap());
    let opts = RunOptions {
        max_in_flight: 2,
        idle_wait: Duration::from_millis(10),
        ..RunOptions::default()
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let agent = tokio::spawn(run(source.clone(), probe, opts, async move {
        let _ = stop_rx.await;
    }));
    wait_for(Duration::from_secs(5), || {
        source.landed.lock().unwrap().len() >= 2
    })
    .await;
    let _ = stop_tx.send(());
    agent.await.unwrap().unwrap();
    let mut landed: Vec<(i64, String)> = source
        .landed
        .lock()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.task_id,
                r.context["error_type"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    landed.sort();
    assert_eq!(
        landed,
        [
            (1, "InvalidUrl".to_owned()),
            (7, "UnreadableTask".to_owned())
        ]
    );
}

/// Always has work due: `per_call` groups a call (at most what it asks for), or as many as
/// asked when `per_call` is `None`; counts the calls.
struct Trickle {
    per_call: Option<u32>,
    next_id: AtomicUsize,
    calls: AtomicUsize,
}

impl TaskSource for Trickle {
    async fn lease(&self, max_groups: u32) -> Result<Lease, SourceError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let n = self.per_call.unwrap_or(max_groups).min(max_groups) as usize;
        let first = self.next_id.fetch_add(n, Ordering::SeqCst) as i64;
        // Distinct URLs, each its own group; they do not parse, so no request is made.
        let tasks = (first..first + n as i64)
            .map(|id| task(id, &format!("not a url {id}")))
            .collect::<Vec<_>>();
        Ok(tasks.into())
    }

    async fn report(&self, _results: &[AgentResult]) -> Result<(), SourceError> {
        Ok(())
    }
}

/// Lease calls made in `for` against a source handing out `per_call` groups a call.
async fn lease_calls(per_call: Option<u32>, idle_wait: Duration, r#for: Duration) -> usize {
    let source = Arc::new(Trickle {
        per_call,
        next_id: AtomicUsize::new(1),
        calls: AtomicUsize::new(0),
    });
    let probe = Arc::new(Probe::new(ProbeOptions::default()).unwrap());
    let opts = RunOptions {
        max_in_flight: 8,
        idle_wait,
        ..RunOptions::default()
    };
    let stop = tokio::time::sleep(r#for);
    run(source.clone(), probe, opts, stop).await.unwrap();
    source.calls.load(Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_that_drain_what_is_due_take_turns_and_full_ones_do_not_wait() {
    // A call that gets less than it asked for has drained what is due: the calls then take
    // turns, one every 100–200 ms here (a random half to all of `idle_wait`), instead of
    // coming back at once for a few.
    let wait = Duration::from_millis(200);
    let paced = lease_calls(Some(1), wait, Duration::from_millis(1_100)).await;
    assert!(
        (4..=14).contains(&paced),
        "{paced} calls in 1.1 s, one every 100–200 ms expected"
    );
    // Calls that come back full go on at once.
    let full = lease_calls(None, wait, Duration::from_millis(1_100)).await;
    assert!(full >= 30, "only {full} full lease calls in 1.1 s");
}
