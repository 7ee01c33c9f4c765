//! The processes of a scenario (the real `argos` server and agents), and what `/proc` says
//! processes cost: CPU time, peak and current memory, and the machine's busy time.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use crate::Error;

/// A child process with its output in a log file; killed when dropped.
pub struct Proc {
    pub name: String,
    pub pid: u32,
    pub log: PathBuf,
    child: Child,
}

impl Proc {
    /// Starts `command` with stdout and stderr appended to `log`.
    pub fn spawn(name: &str, mut command: Command, log: &Path) -> Result<Proc, Error> {
        let out = std::fs::File::options()
            .create(true)
            .append(true)
            .open(log)?;
        let child = command
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("starting {name} ({command:?}): {e}"))?;
        let pid = child.id().ok_or("the child exited at once")?;
        Ok(Proc {
            name: name.to_owned(),
            pid,
            log: log.to_owned(),
            child,
        })
    }

    /// Sends `signal` (`HUP`, `TERM`, `INT`…) with kill(1).
    pub async fn signal(&self, signal: &str) -> Result<(), Error> {
        signal_pid(self.pid, signal).await
    }

    /// Whether it is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGTERM, then SIGKILL if it has not exited after `grace`.
    pub async fn stop(mut self, grace: Duration) {
        if self.running() && self.signal("TERM").await.is_ok() {
            if tokio::time::timeout(grace, self.child.wait()).await.is_ok() {
                return;
            }
            eprintln!("{} ignored SIGTERM for {grace:?}: killing it", self.name);
        }
        let _ = self.child.kill().await;
    }

    /// The last `lines` lines of its log.
    pub fn tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

/// Sends `signal` to `pid` with kill(1) (the workspace forbids `unsafe`, so no libc::kill).
pub async fn signal_pid(pid: u32, signal: &str) -> Result<(), Error> {
    let status = Command::new("kill")
        .args(["-s", signal, &pid.to_string()])
        .status()
        .await?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("kill -s {signal} {pid} failed").into())
    }
}

/// Waits until `path` holds more than `after` bytes and a line containing `needle` past
/// them; returns when it appeared.
pub async fn wait_for_line(
    path: &Path,
    after: u64,
    needle: &str,
    limit: Duration,
) -> Option<Instant> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(text) = std::fs::read(path)
            && let Some(fresh) = text.get(after as usize..)
            && String::from_utf8_lossy(fresh).contains(needle)
        {
            return Some(Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    None
}

/// What a process costs so far.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    /// User + system CPU time, in clock ticks.
    pub cpu_ticks: u64,
    /// Peak resident memory (`VmHWM`), kB.
    pub hwm_kb: u64,
    /// Resident memory now, kB.
    pub rss_kb: u64,
    /// Private anonymous resident memory now (`RssAnon`), kB: what a PostgreSQL backend
    /// holds of its own, without the shared buffers it touched.
    pub anon_kb: u64,
}

/// `/proc/<pid>` of a running process (`None` once it is gone or unreadable).
pub fn usage(pid: u32) -> Option<Usage> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
    let cpu_ticks = ticks(11)? + ticks(12)?; // utime, stime (fields 14 and 15 of stat)
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    };
    Some(Usage {
        cpu_ticks,
        hwm_kb: kb("VmHWM:"),
        rss_kb: kb("VmRSS:"),
        anon_kb: kb("RssAnon:"),
    })
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on every common Linux).
pub fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
        .unwrap_or(100.0)
}

/// The machine's (busy, total) CPU ticks, summed over its CPUs, from `/proc/stat`.
pub fn machine_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let v: Vec<u64> = line
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user already).
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3)? + v.get(4).unwrap_or(&0);
    Some((total - idle, total))
}

/// TCP sockets of this machine in TIME_WAIT, except those on local port `except` (a
/// server's, which hold no ephemeral port).
pub fn time_wait_sockets(except: u16) -> usize {
    let except = format!(":{except:04X}");
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|t| {
            t.lines()
                .skip(1)
                .map(|l| l.split_whitespace().collect::<Vec<_>>())
                .filter(|f| {
                    f.get(3) == Some(&"06") && !f.get(1).is_some_and(|a| a.ends_with(&except))
                })
                .count()
        })
        .sum()
}

/// The `argos` binary: `--argos`, else next to this binary, else `target/release/argos`.
pub fn find_argos(given: Option<&Path>) -> Result<PathBuf, Error> {
    if let Some(path) = given {
        return Ok(path.to_owned());
    }
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("argos")));
    let candidates = beside
        .into_iter()
        .chain([PathBuf::from("target/release/argos")]);
    for path in candidates {
        if path.is_file() {
            return Ok(path);
        }
    }
    Err(
        "no `argos` binary next to this one nor in target/release: build it with \
         `cargo build --release -p argos-server --bin argos`, or pass --argos PATH"
            .into(),
    )
}
