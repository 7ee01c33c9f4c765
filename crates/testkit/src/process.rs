//! Real processes for fault tests: started with their output in a log file, signalled
//! (`SIGKILL`, `SIGSTOP`, `SIGCONT`, ...) and always killed when the handle drops,
//! so that a failed test leaves nothing running. A test that panics prints the tail of
//! every log it started, which is where the reason usually is.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Lines of a log printed when a test fails.
const TAIL_LINES: usize = 40;

/// A running process, killed when dropped.
#[derive(Debug)]
pub struct Process {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Process {
    /// Starts `command` with stdout and stderr appended to `<log_dir>/<name>.log`.
    ///
    /// # Panics
    /// When the log cannot be created or the program cannot be started.
    pub fn spawn(name: &str, mut command: Command, log_dir: &Path) -> Process {
        let log = log_dir.join(format!("{name}.log"));
        let out = File::options()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap_or_else(|e| panic!("creating {}: {e}", log.display()));
        let err = out.try_clone().expect("cloning a file handle");
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name} ({command:?}): {e}"));
        Process {
            name: name.to_owned(),
            child,
            log,
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (`"KILL"`, `"STOP"`, `"CONT"`, `"TERM"`, ...) through `kill(1)`: the
    /// workspace forbids `unsafe`, so no `libc::kill`.
    ///
    /// # Panics
    /// When `kill` fails (the process is gone).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .expect("running kill");
        assert!(status.success(), "kill -{signal} {} failed", self.name);
    }

    /// `SIGKILL`, then reaps the process.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether it still runs (a stopped process runs).
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Everything it printed so far.
    pub fn log(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.log).unwrap_or_default()).into_owned()
    }

    /// Waits (on the tokio runtime) until its log contains `needle`; returns the log.
    ///
    /// # Panics
    /// After `limit`, or when the process exits first, with the log.
    pub async fn wait_for_log(&mut self, needle: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let log = self.log();
            if log.contains(needle) {
                return log;
            }
            assert!(
                self.is_running(),
                "{} exited before logging {needle:?}:\n{log}",
                self.name
            );
            assert!(
                Instant::now() < deadline,
                "{} did not log {needle:?} within {limit:?}:\n{log}",
                self.name
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn tail(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!("--- last lines of {} ---\n{}", self.name, self.tail());
        }
    }
}
