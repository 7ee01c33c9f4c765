//! Hostile name resolution: a resolver that answers late, and a name whose first address
//! never answers. Each costs a check its deadline at most, says why in the result, and leaves
//! the other checks alone.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use argos_checks::probe::cache::Lookingup;
use argos_checks::probe::{Lookup, Probe, ProbeOptions};
use argos_checks::{RequestOptions, Status};
use argos_testkit::spawn_http;

use crate::support::{Hits, Names, reason, run_one, site, task};

/// Answers `slow.test` after a minute, any other name at once, with 127.0.0.1.
#[derive(Debug, Clone, Copy)]
struct SlowForOneName;

impl Lookup for SlowForOneName {
    fn lookup(&self, host: &str) -> Lookingup {
        let slow = host == "slow.test";
        Box::pin(async move {
            if slow {
                tokio::time::sleep(Duration::from_secs(60)).await;
            }
            Ok(vec![IpAddr::from([127, 0, 0, 1])])
        })
    }
}

fn with_deadline(mut t: argos_checks::Task, ms: u64) -> argos_checks::Task {
    t.request_options = Some(RequestOptions {
        timeout_ms: Some(ms),
        ..RequestOptions::default()
    });
    t
}

#[tokio::test]
async fn a_slow_resolver_costs_the_deadline_and_other_checks_go_on() {
    let port = spawn_http(site(Hits::default())).await.port();
    let probe = Probe::with_lookup(ProbeOptions::default(), Arc::new(SlowForOneName)).unwrap();
    let slow = with_deadline(
        task(1, &format!("http://slow.test:{port}/"), "status-is", "200"),
        500,
    );
    let quick = task(2, &format!("http://quick.test:{port}/"), "status-is", "200");
    let started = Instant::now();
    let (slow, quick) = tokio::join!(run_one(&probe, slow), async {
        let r = run_one(&probe, quick).await;
        (r, started.elapsed())
    });
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(slow.status, Status::Failure, "{:?}", slow.context);
    assert!(
        ["dns", "timeout"].contains(&reason(&slow)),
        "{:?}",
        slow.context
    );
    // The other check did not wait for the slow name.
    let (quick, took) = quick;
    assert_eq!(quick.status, Status::Success, "{:?}", quick.context);
    assert!(took < Duration::from_millis(400), "{took:?}");
}

/// A listener on `ip:port` whose accept queue is full: connections to it are never answered.
async fn silent_at(
    ip: [u8; 4],
    port: u16,
) -> (tokio::net::TcpListener, Vec<tokio::net::TcpStream>) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((ip, port))).unwrap();
    let listener = socket.listen(0).unwrap();
    let mut queued = Vec::new();
    for _ in 0..4 {
        let attempt = tokio::net::TcpStream::connect(SocketAddr::from((ip, port)));
        match tokio::time::timeout(Duration::from_millis(200), attempt).await {
            Ok(Ok(stream)) => queued.push(stream),
            _ => break,
        }
    }
    (listener, queued)
}

#[tokio::test]
async fn a_first_address_that_never_answers_gives_way_to_the_next() {
    let port = spawn_http(site(Hits::default())).await.port();
    let _silent = silent_at([127, 0, 0, 2], port).await;
    let names = Names::of(&["127.0.0.2", "127.0.0.1"]);
    let opts = ProbeOptions {
        timeout: Duration::from_secs(4),
        ..ProbeOptions::default()
    };
    let probe = Probe::with_lookup(opts, Arc::new(names)).unwrap();
    let url = format!("http://two-addresses.test:{port}/");
    for (id, check, expected) in [(1, "status-is", "200"), (2, "port-open", "true")] {
        let started = Instant::now();
        let r = run_one(&probe, task(id, &url, check, expected)).await;
        assert_eq!(r.status, Status::Success, "{check}: {:?}", r.context);
        assert!(started.elapsed() < Duration::from_secs(4), "{check}");
    }
}
