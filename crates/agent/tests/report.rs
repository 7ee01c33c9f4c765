//! The result reporter against a scripted server: batches bounded in bytes, a batch the
//! server refuses or keeps failing on isolated so the other results land, `Retry-After`
//! honoured. Time is paused: backoffs cost nothing.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use argos_agent::{Lease, RunOptions, SourceError, TaskSource, run};
use argos_checks::probe::{Probe, ProbeOptions};
use argos_checks::{AgentResult, Outcome, Status};
use serde_json::json;
use tokio::time::Instant;

/// How the scripted server answers a post.
type Script = dyn Fn(&[AgentResult], usize) -> Result<(), SourceError> + Send + Sync;

/// Leases `results` once (as results to post, with no task to run), then answers each post
/// with `script(results, call number)`; records what lands and when each post came.
struct Scripted {
    lease: Mutex<Option<Vec<AgentResult>>>,
    script: Box<Script>,
    landed: Mutex<Vec<AgentResult>>,
    posts: Mutex<Vec<(Instant, usize)>>,
}

impl TaskSource for Scripted {
    async fn lease(&self, _max_groups: u32) -> Result<Lease, SourceError> {
        let unreadable = self.lease.lock().unwrap().take().unwrap_or_default();
        Ok(Lease {
            tasks: Vec::new(),
            unreadable,
        })
    }

    async fn report(&self, results: &[AgentResult]) -> Result<(), SourceError> {
        let size = serde_json::to_vec(results).unwrap().len();
        let call = {
            let mut posts = self.posts.lock().unwrap();
            posts.push((Instant::now(), size));
            posts.len()
        };
        (self.script)(results, call)?;
        self.landed.lock().unwrap().extend_from_slice(results);
        Ok(())
    }
}

fn result(id: i64, context_bytes: usize) -> AgentResult {
    Outcome::pass_fail(true, Default::default())
        .with("padding", "p".repeat(context_bytes))
        .into_result(id, Some(1.0))
}

fn rejected(status: u16) -> SourceError {
    SourceError::Rejected {
        status,
        body: "no".into(),
        retry_after: None,
    }
}

/// Whether `results` holds task `id`'s original result (not an error replacing it).
fn holds_original(results: &[AgentResult], id: i64) -> bool {
    results
        .iter()
        .any(|r| r.task_id == id && r.status == Status::Success)
}

/// Runs the agent until `want` results landed (or an hour of paused time went by).
async fn deliver(results: Vec<AgentResult>, script: Box<Script>, want: usize) -> Arc<Scripted> {
    let server = Arc::new(Scripted {
        lease: Mutex::new(Some(results)),
        script,
        landed: Mutex::new(Vec::new()),
        posts: Mutex::new(Vec::new()),
    });
    let probe = Arc::new(Probe::new(ProbeOptions::default()).unwrap());
    let opts = RunOptions {
        max_in_flight: 4,
        idle_wait: Duration::from_secs(1),
        ..RunOptions::default()
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let agent = tokio::spawn(run(server.clone(), probe, opts, async move {
        let _ = stop_rx.await;
    }));
    let waited = tokio::time::timeout(Duration::from_secs(3600), async {
        while server.landed.lock().unwrap().len() < want {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let _ = stop_tx.send(());
    let _ = agent.await;
    let landed = server.landed.lock().unwrap().len();
    assert!(waited.is_ok(), "only {landed} of {want} results landed");
    server
}

fn replaced(server: &Scripted, id: i64) -> Option<AgentResult> {
    let landed = server.landed.lock().unwrap();
    landed.iter().find(|r| r.task_id == id).cloned()
}

#[tokio::test(start_paused = true)]
async fn a_batch_the_server_keeps_failing_on_is_isolated_and_the_rest_lands() {
    // Task 13's result makes the server fail (500) every time; empty posts are fine.
    let mut results: Vec<_> = (1..=40).map(|i| result(i, 100)).collect();
    results[12].lease_id = Some("lease-13".into());
    let script = Box::new(|posted: &[AgentResult], _call| {
        if holds_original(posted, 13) {
            return Err(rejected(500));
        }
        Ok(())
    });
    let server = deliver(results, script, 40).await;
    let error = replaced(&server, 13).expect("task 13 gets a result");
    assert_eq!(error.status, Status::Error);
    assert_eq!(error.context["error_type"], "UndeliverableResult");
    assert!(
        error.context["error_message"]
            .as_str()
            .unwrap()
            .contains("500"),
        "{:?}",
        error.context
    );
    assert_eq!(
        error.lease_id.as_deref(),
        Some("lease-13"),
        "the error answers the same lease"
    );
}

#[tokio::test(start_paused = true)]
async fn a_refused_batch_is_split_so_one_bad_result_does_not_drop_the_others() {
    for status in [400, 413, 422] {
        let results = (1..=40).map(|i| result(i, 100)).collect();
        let script = Box::new(move |posted: &[AgentResult], _call| {
            if holds_original(posted, 13) {
                return Err(rejected(status));
            }
            Ok(())
        });
        let server = deliver(results, script, 40).await;
        let error = replaced(&server, 13).unwrap();
        assert_eq!(
            error.context["error_type"], "UndeliverableResult",
            "{status}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_result_refused_even_as_an_error_is_dropped_alone() {
    let results = (1..=10).map(|i| result(i, 100)).collect();
    let script = Box::new(|posted: &[AgentResult], _call| {
        if posted.iter().any(|r| r.task_id == 3) {
            return Err(rejected(422));
        }
        Ok(())
    });
    let server = deliver(results, script, 9).await;
    assert!(replaced(&server, 3).is_none());
}

#[tokio::test(start_paused = true)]
async fn batches_are_bounded_in_bytes() {
    // Ten results of 1 MiB: at most ~4 MiB per post, and every one lands.
    let results = (1..=10).map(|i| result(i, 1024 * 1024)).collect();
    let server = deliver(results, Box::new(|_: &[AgentResult], _| Ok(())), 10).await;
    let posts = server.posts.lock().unwrap();
    let largest = posts.iter().map(|(_, size)| *size).max().unwrap();
    assert!(
        largest <= 4 * 1024 * 1024 + 64 * 1024,
        "a post of {largest} bytes"
    );
    assert!(posts.len() >= 3, "{} posts", posts.len());
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured() {
    let results = (1..=3).map(|i| result(i, 10)).collect();
    let script = Box::new(|_: &[AgentResult], call| {
        if call == 1 {
            return Err(SourceError::Rejected {
                status: 503,
                body: "busy".into(),
                retry_after: Some(Duration::from_secs(120)),
            });
        }
        Ok(())
    });
    let server = deliver(results, script, 3).await;
    let posts = server.posts.lock().unwrap();
    let waited = posts[1].0 - posts[0].0;
    assert!(
        waited >= Duration::from_secs(120),
        "retried after {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(200),
        "retried after {waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_server_keeps_the_results_and_retries_with_a_capped_backoff() {
    let results = (1..=5).map(|i| result(i, 10)).collect();
    let script = Box::new(|_: &[AgentResult], call| {
        if call <= 12 {
            return Err(SourceError::Unreachable("connection refused".into()));
        }
        Ok(())
    });
    let server = deliver(results, script, 5).await;
    let posts = server.posts.lock().unwrap();
    let gaps: Vec<Duration> = posts.windows(2).map(|w| w[1].0 - w[0].0).collect();
    assert!(
        gaps.iter().all(|g| *g <= Duration::from_secs(61)),
        "{gaps:?}"
    );
    assert!(
        gaps.iter().any(|g| *g >= Duration::from_secs(20)),
        "{gaps:?}"
    );
    assert_eq!(json!(server.landed.lock().unwrap().len()), json!(5));
}
