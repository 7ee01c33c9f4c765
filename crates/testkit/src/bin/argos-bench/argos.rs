//! Starting the real `argos` server and agents of a scenario, as a user would, and `perf`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::Command;

use crate::Error;
use crate::argos_config::TOKEN;
use crate::procs::{self, Proc};

/// How long the server may take to start (migrations and the first sync included).
const START_LIMIT: Duration = Duration::from_secs(600);
/// The server logs warnings, and the info line that says a reload is done.
const SERVER_LOG: &str = "warn,argos_server::app=info";
const RELOADED: &str = "config reloaded";

/// A started server.
pub struct Server {
    pub proc: Proc,
    pub port: u16,
    /// From the spawn to the first `200` of `/healthz`.
    pub start: Duration,
}

/// The server's `--log-level`: [`SERVER_LOG`], or `ARGOS_BENCH_SERVER_LOG` to look closer
/// (`tower_http=debug` logs each request with its latency). The reload is timed by a line of
/// `argos_server::app`, which must stay at `info`.
fn server_log() -> String {
    match std::env::var("ARGOS_BENCH_SERVER_LOG") {
        Ok(extra) if !extra.is_empty() => format!("{SERVER_LOG},{extra}"),
        _ => SERVER_LOG.to_owned(),
    }
}

/// Starts `argos server start` on a free port and waits until it answers.
pub async fn start_server(argos: &Path, config: &Path, dir: &Path) -> Result<Server, Error> {
    let port = free_port()?;
    let mut cmd = Command::new(argos);
    cmd.args([
        "server",
        "start",
        "--no-embedded-agent",
        "--host",
        "127.0.0.1",
    ])
    .args(["--port", &port.to_string(), "--log-level", &server_log()])
    .arg("--config")
    .arg(config)
    .current_dir(dir);
    let t = Instant::now();
    let mut proc = Proc::spawn("argos server", cmd, &dir.join("server.log"))?;
    while !healthy(port).await {
        if !proc.running() || t.elapsed() > START_LIMIT {
            return Err(format!("the server did not start:\n{}", proc.tail(30)).into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(Server {
        start: t.elapsed(),
        proc,
        port,
    })
}

impl Server {
    /// Sends SIGHUP and waits for the server to say the reload is done.
    pub async fn reload(&self) -> Result<Duration, Error> {
        let before = std::fs::metadata(&self.proc.log)?.len();
        let t = Instant::now();
        self.proc.signal("HUP").await?;
        let limit = Duration::from_secs(300);
        match procs::wait_for_line(&self.proc.log, before, RELOADED, limit).await {
            Some(done) => Ok(done - t),
            None => Err(format!("no \"{RELOADED}\" in the server's log after SIGHUP").into()),
        }
    }
}

/// Whether `GET /healthz` answers 200 (HTTP/1.0 by hand: the bench needs no HTTP client).
async fn healthy(port: u16) -> bool {
    let attempt = async {
        let mut tcp = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
        tcp.write_all(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .ok()?;
        let mut head = [0u8; 12];
        tcp.read_exact(&mut head).await.ok()?;
        Some(head.ends_with(b" 200"))
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(2), attempt).await,
        Ok(Some(true))
    )
}

fn free_port() -> Result<u16, Error> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// How the agents run.
pub struct AgentOptions<'a> {
    pub argos: &'a Path,
    pub ca_file: &'a Path,
    pub max_tasks: usize,
    pub wait_time: u64,
}

/// Starts agent `n` (`argos agent URL TOKEN`) trusting the farm's CA through `SSL_CERT_FILE`.
pub fn start_agent(o: &AgentOptions<'_>, port: u16, n: usize, dir: &Path) -> Result<Proc, Error> {
    let mut cmd = Command::new(o.argos);
    cmd.args(["agent", &format!("http://127.0.0.1:{port}"), TOKEN])
        .args(["--max-tasks", &o.max_tasks.to_string()])
        .args(["--wait-time", &o.wait_time.to_string()])
        .args(["--name", &format!("bench-agent-{n}"), "--log-level", "warn"])
        .env("SSL_CERT_FILE", o.ca_file)
        .current_dir(dir);
    Proc::spawn(
        &format!("agent {n}"),
        cmd,
        &dir.join(format!("agent-{n}.log")),
    )
}

/// `perf record -e cpu-clock -g` of `pids` into `<dir>/<name>.perf.data`.
pub fn start_perf(name: &str, pids: &[u32], dir: &Path) -> Result<(Proc, PathBuf), Error> {
    let data = dir.join(format!("{name}.perf.data"));
    let list: Vec<String> = pids.iter().map(u32::to_string).collect();
    let mut cmd = Command::new("perf");
    // `ARGOS_BENCH_PERF_CALL_GRAPH=dwarf` gives whole stacks of a build without frame
    // pointers, at the price of a much larger profile.
    let graph = std::env::var("ARGOS_BENCH_PERF_CALL_GRAPH").unwrap_or_else(|_| "fp".into());
    cmd.args(["record", "-e", "cpu-clock", "--call-graph", &graph, "-o"])
        .arg(&data)
        .args(["-p", &list.join(",")]);
    let proc = Proc::spawn(
        &format!("perf {name}"),
        cmd,
        &dir.join(format!("{name}.perf.log")),
    )?;
    Ok((proc, data))
}

/// Stops a `perf record` and writes its top symbols (self time) next to its data.
pub async fn finish_perf(perf: Proc, data: &Path) -> Result<PathBuf, Error> {
    perf.signal("INT").await?;
    perf.stop(Duration::from_secs(30)).await;
    let report = data.with_extension("txt");
    let out = Command::new("perf")
        .args(["report", "--stdio", "--no-children", "--sort", "dso,symbol"])
        .args(["--percent-limit", "0.5", "-g", "none", "-i"])
        .arg(data)
        .output()
        .await?;
    std::fs::write(&report, tidy_report(&String::from_utf8_lossy(&out.stdout)))?;
    Ok(report)
}

/// `perf report`'s lines without their comment header and the padding of empty columns.
fn tidy_report(text: &str) -> String {
    let samples = text.lines().find(|l| l.starts_with("# Samples"));
    let lines = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.trim_end_matches(|c: char| c == '-' || c.is_whitespace()));
    samples
        .into_iter()
        .chain(lines)
        .fold(String::new(), |out, l| out + l + "\n")
}

/// The first `n` symbol lines of a report written by [`finish_perf`].
pub fn top_symbols(report: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(report).unwrap_or_default();
    text.lines().take(n + 1).collect::<Vec<_>>().join("\n")
}
