//! The agent's command line, shared by `argos agent` and the slim `argos-agent` binary so both
//! accept exactly the options of the Python tool (`argos agent SERVER_URL AUTH ...`).

use std::sync::Arc;
use std::time::Duration;

use argos_checks::probe::cache::DEFAULT_DNS_TTL;
use argos_checks::probe::{Probe, ProbeOptions};
use clap::Args;

use crate::http::HttpSource;
use crate::pipeline::{DEFAULT_LEASES_IN_FLIGHT, DEFAULT_REPORTS_IN_FLIGHT, RunOptions, run};

/// `argos agent SERVER_URL AUTH [options]`.
#[derive(Debug, Clone, Args)]
pub struct AgentArgs {
    /// The server's base URL, e.g. https://argos.example.org
    #[arg(env = "ARGOS_AGENT_SERVER_URL")]
    pub server_url: String,
    /// The agent token: one of the server's `service.secrets`, or this agent's own token
    /// (`argos server agent-token add --name NAME`, then run with `--name NAME`).
    #[arg(env = "ARGOS_AGENT_TOKEN", hide_env_values = true)]
    pub auth: String,
    /// Request groups checked at the same time.
    #[arg(long, default_value_t = 50)]
    pub max_tasks: usize,
    /// Seconds to wait when the server has nothing due.
    #[arg(long, default_value_t = 10)]
    pub wait_time: u64,
    /// The agent's name (defaults to the host name).
    #[arg(long, default_value = "")]
    pub name: String,
    /// Text appended to the User-Agent of check requests.
    #[arg(long, default_value = "")]
    pub user_agent: String,
    /// Timeout of one check request, in seconds.
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,
    /// Calls leasing tasks from the server in flight at once (1: lease only for free slots).
    #[arg(long, default_value_t = DEFAULT_LEASES_IN_FLIGHT)]
    pub leases_in_flight: usize,
    /// Calls posting results to the server in flight at once.
    #[arg(long, default_value_t = DEFAULT_REPORTS_IN_FLIGHT)]
    pub reports_in_flight: usize,
    /// Seconds the addresses of a host name are kept (0: resolve for every check).
    #[arg(long, default_value_t = DEFAULT_DNS_TTL.as_secs())]
    pub dns_ttl: u64,
}

impl AgentArgs {
    /// The agent id sent to the server: `--name`, or the host name.
    pub fn agent_id(&self) -> String {
        if self.name.is_empty() {
            hostname()
        } else {
            self.name.clone()
        }
    }

    /// Probe options from these arguments.
    pub fn probe_options(&self) -> ProbeOptions {
        let mut opts = ProbeOptions::default();
        if !self.user_agent.is_empty() {
            opts.user_agent = format!("{} - {}", opts.user_agent, self.user_agent);
        }
        opts.timeout = Duration::from_secs(self.timeout.max(1));
        opts.dns_ttl = Duration::from_secs(self.dns_ttl);
        opts
    }

    /// Runs the agent until Ctrl-C or SIGTERM.
    ///
    /// # Errors
    /// When the server URL is invalid, the HTTP clients cannot be built, or a part of the
    /// agent dies (then the process should exit with an error, not linger half-alive).
    pub async fn run(self) -> anyhow::Result<()> {
        let agent_id = self.agent_id();
        let ua = format!("Argos agent {}", env!("CARGO_PKG_VERSION"));
        let source = HttpSource::new(&self.server_url, &self.auth, &agent_id, &ua)?;
        let probe = Probe::new(self.probe_options())?;
        tracing::info!(server = %self.server_url, agent = %agent_id, max_tasks = self.max_tasks, "starting argos agent; will retry forever");
        let opts = RunOptions {
            max_in_flight: self.max_tasks.max(1),
            idle_wait: Duration::from_secs(self.wait_time.max(1)),
            leases_in_flight: self.leases_in_flight.max(1),
            reports_in_flight: self.reports_in_flight.max(1),
        };
        run(Arc::new(source), Arc::new(probe), opts, shutdown_signal()).await?;
        Ok(())
    }
}

/// This machine's host name.
pub fn hostname() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

/// A tracing filter from a log level in the Python tool's spelling (DEBUG, INFO, WARNING, ERROR,
/// CRITICAL, any case) or a tracing directive (`info,argos_server=debug`).
pub fn log_filter(level: &str) -> String {
    match level.to_ascii_lowercase().as_str() {
        "warning" => "warn".to_owned(),
        "critical" => "error".to_owned(),
        other => other.to_owned(),
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
