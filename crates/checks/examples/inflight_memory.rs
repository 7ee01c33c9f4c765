//! How much memory an agent needs with many checks in flight against slow servers.
//!
//! ```text
//! cargo run --release -p argos-checks --example inflight_memory [CHECKS] [HOLD_SECONDS] [BODY_KB]
//! ```
//! (defaults: 1000 checks, each response held 5 s, a 1 kB body.)
//!
//! The process re-runs itself as a child that serves the slow site on loopback, so what is
//! measured is the checking side alone: it builds one [`Probe`], puts CHECKS request groups in
//! flight at once (each group one `status-is` and one `response-time` on its own URL, so no
//! two share a request), waits for all of them, and prints its peak resident memory (`VmHWM`
//! from `/proc/self/status`, Linux only) before and after, with the time taken. It is the
//! agent's check path (`run_group`, the same as the `argos-agent` pipeline runs) without the
//! lease and report calls, whose buffers are bounded separately.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use argos_checks::group::run_group;
use argos_checks::probe::{Probe, ProbeOptions};
use argos_checks::{Status, Task};
use futures_util::future::join_all;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("serve") {
        serve(&args[2..]);
        return;
    }
    let number =
        |i: usize, default: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let (checks, hold, body_kb) = (number(1, 1000), number(2, 5), number(3, 1));
    let mut child = Command::new(std::env::current_exe().expect("this program's path"))
        .args(["serve", &hold.to_string(), &body_kb.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting the slow server");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("a piped stdout");
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the server's port");
    let port: u16 = line.trim().parse().expect("a port number");
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(measure(port, checks, hold));
    let _ = child.kill();
    let _ = child.wait();
}

async fn measure(port: u16, checks: u64, hold: u64) {
    let probe = Probe::new(ProbeOptions {
        timeout: Duration::from_secs(hold + 30),
        ..ProbeOptions::default()
    })
    .expect("building the probe");
    println!("checks in flight: {checks}, each response held {hold} s");
    println!("before: {}", memory());
    let groups: Vec<[Task; 2]> = (0..checks)
        .map(|i| {
            let url = format!("http://127.0.0.1:{port}/page/{i}");
            [
                task(2 * i, &url, "status-is", "200"),
                task(
                    2 * i + 1,
                    &url,
                    "response-time",
                    r#"{"critical_ms": 60000}"#,
                ),
            ]
        })
        .collect();
    let started = Instant::now();
    let results = join_all(groups.iter().map(|g| run_group(&probe, g))).await;
    let took = started.elapsed();
    let ok = results
        .iter()
        .flatten()
        .filter(|r| r.status == Status::Success)
        .count();
    println!(
        "after:  {} ({ok} of {} results ok, in {took:.1?})",
        memory(),
        2 * checks
    );
}
fn task(id: u64, url: &str, check: &str, expected: &str) -> Task {
    Task::get(i64::try_from(id).unwrap_or(i64::MAX), url, check, expected)
}

/// `VmHWM` (peak) and `VmRSS` (now), as the kernel reports them.
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .map(|l| l[name.len()..].trim().to_owned())
            .unwrap_or_else(|| "n/a".to_owned())
    };
    format!(
        "peak RSS (VmHWM) {}, RSS {}",
        field("VmHWM:"),
        field("VmRSS:")
    )
}

/// The child: a site answering every request after `hold` seconds with `body_kb` kB.
fn serve(args: &[String]) {
    let hold: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(5);
    let body_kb: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(async move {
        let body = "x".repeat(body_kb * 1024);
        let site = axum::Router::new().fallback(move || {
            let body = body.clone();
            async move {
                tokio::time::sleep(Duration::from_secs(hold)).await;
                body
            }
        });
        let addr = argos_testkit::spawn_http(site).await;
        println!("{}", addr.port());
        std::io::stdout().flush().expect("writing the port");
        std::future::pending::<()>().await;
    });
}
