//! Wires the server together: store, task sync, HTTP server, embedded agent, maintenance loop
//! and config reload. `App::build` takes a config and a listener address (port 0 in tests);
//! `App::run_until` serves until the shutdown future resolves.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use argos_agent::{Lease, RunOptions, SourceError, TaskSource};
use argos_checks::AgentResult;
use argos_checks::probe::{Probe, ProbeOptions};
use chrono::Utc;
use tokio::net::TcpListener;

use crate::alerting::no_agent;
use crate::config::{self, Config, LoadOptions};
use crate::notify::apprise;
use crate::notify::notifier::Notifier;
use crate::plan::specs;
use crate::state::AppState;
use crate::store::{Store, SyncStats};

/// How often the maintenance loop runs.
pub const MAINTENANCE_PERIOD: Duration = Duration::from_secs(60);
/// Request groups the embedded agent runs at once.
pub const EMBEDDED_AGENT_IN_FLIGHT: usize = 50;

/// Where and how to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on.
    pub host: String,
    /// Port (0: any free port).
    pub port: u16,
    /// Run the embedded agent (also needs `general.embedded_agent`).
    pub embedded_agent: bool,
    /// Treat unknown config keys as errors on reload.
    pub strict: bool,
    /// Send alerts from this process (off: alerts wait in the outbox for another process).
    pub notifier: bool,
}

/// A built server, listening but not yet serving.
pub struct App {
    listener: TcpListener,
    state: Arc<AppState>,
    embedded_agent: bool,
    strict: bool,
    notifier: bool,
}

/// Connects to the configured database and applies the migrations.
///
/// # Errors
/// When the database cannot be reached or migrated.
pub async fn open_store(cfg: &Config) -> anyhow::Result<Store> {
    let db = &cfg.general.db;
    // Whatever the driver or a migration says, the URL's password stays out of the message.
    let scrubbed =
        |e: crate::store::Error| anyhow::anyhow!(crate::store::scrub_url(&e.to_string(), &db.url));
    let store = Store::connect(&db.url, db.pool_size.saturating_add(db.max_overflow).max(2))
        .await
        .map_err(scrubbed)
        .context("connecting to the database (general.db.url)")?;
    store
        .migrate()
        .await
        .map_err(scrubbed)
        .context("migrating the database")?;
    Ok(store)
}

/// Makes the store's tasks match the config, in one transaction.
///
/// # Errors
/// Store errors.
pub async fn apply_config(store: &Store, cfg: &Config) -> anyhow::Result<SyncStats> {
    let stats = store.sync_tasks(specs(cfg), Utc::now()).await?;
    // A sync of 10,000 websites allocates tens of megabytes for a moment (see argos_heap).
    argos_heap::release_free_memory();
    Ok(stats)
}

impl App {
    /// Opens the store, applies the config's tasks and binds the listener.
    ///
    /// # Errors
    /// Database or bind errors.
    pub async fn build(cfg: Config, opts: &ServeOptions) -> anyhow::Result<App> {
        let store = open_store(&cfg).await?;
        let stats = apply_config(&store, &cfg).await?;
        tracing::info!(
            added = stats.added,
            updated = stats.updated,
            removed = stats.removed,
            unchanged = stats.unchanged,
            "tasks synced with the config"
        );
        check_channels(&cfg).await?;
        if cfg.general.ldap.is_none()
            && cfg.general.unauthenticated_access != Some(config::UnauthenticatedAccess::All)
            && store.users().await?.is_empty()
        {
            tracing::warn!(
                "no user can log in yet: add one with `argos server user add --config {}`",
                cfg.source.display()
            );
        }
        let embedded_agent = opts.embedded_agent && cfg.general.embedded_agent;
        let listener = TcpListener::bind((opts.host.as_str(), opts.port))
            .await
            .with_context(|| format!("listening on {}:{}", opts.host, opts.port))?;
        let state = Arc::new(AppState::new(store, cfg));
        Ok(App {
            listener,
            state,
            embedded_agent,
            strict: opts.strict,
            notifier: opts.notifier,
        })
    }

    /// The address actually bound.
    ///
    /// # Errors
    /// Only if the socket is gone.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The shared state (tests read the store through it).
    pub fn state(&self) -> Arc<AppState> {
        self.state.clone()
    }

    /// Serves until `shutdown` resolves, with the embedded agent, the maintenance loop and
    /// SIGHUP config reloads running beside.
    ///
    /// # Errors
    /// When the HTTP server fails.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        // A JoinSet aborts its tasks when dropped: if this future is dropped (a test's
        // "crash"), nothing it started keeps running.
        let mut background = tokio::task::JoinSet::new();
        background.spawn(maintenance(self.state.clone(), stopped(stop_rx.clone())));
        background.spawn(reload_on_sighup(
            self.state.clone(),
            self.strict,
            stopped(stop_rx.clone()),
        ));
        if self.embedded_agent {
            let agent = embedded_agent(self.state.clone(), stopped(stop_rx.clone()))?;
            background.spawn(agent);
        }
        if self.notifier {
            let notifier = Notifier::new(self.state.clone()).context("starting the notifier")?;
            background.spawn(notifier.run(stopped(stop_rx.clone())));
        }
        let addr = self.listener.local_addr()?;
        tracing::info!(%addr, embedded_agent = self.embedded_agent, "argos server listening on http://{addr}/");
        let router = crate::web::router(self.state.clone());
        let serve = axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!("shutting down: finishing requests and the checks in flight");
            let _ = stop_tx.send(true);
        });
        serve.await.context("serving HTTP")?;
        while background.join_next().await.is_some() {}
        Ok(())
    }
}

/// Re-reads the config file on SIGHUP. A config that fails validation is refused with its
/// problems logged, and the running config stays in force.
async fn reload_on_sighup(state: Arc<AppState>, strict: bool, stop: impl Future<Output = ()>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            return;
        };
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => return,
                _ = hup.recv() => {
                    if let Err(e) = reload(&state, strict).await {
                        tracing::error!("config reload refused, keeping the running config:\n{e:#}");
                    }
                }
            }
        }
    }
    #[cfg(not(unix))]
    stop.await;
}

/// What a reload put in force, and what it could not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reloaded {
    /// How the tasks changed.
    pub stats: SyncStats,
    /// Changed keys the running server cannot apply (it keeps their old values until it is
    /// restarted), e.g. `general.db.url`.
    pub needs_restart: Vec<&'static str>,
}

/// Loads the config file again, syncs its tasks and puts it in force. Everything applies at
/// once (`root_path` included: the router reads it at each request), except the keys read
/// only at start-up, [`RESTART_KEYS`]: the running server keeps their old values and says
/// so in the log and in [`Reloaded::needs_restart`].
///
/// # Errors
/// When the file is invalid (nothing changes then) or the store fails.
pub async fn reload(state: &AppState, strict: bool) -> anyhow::Result<Reloaded> {
    let path = state.config().source.clone();
    let mut cfg = config::load(&path, &LoadOptions { strict })?;
    for w in &cfg.warnings {
        tracing::warn!("{w}");
    }
    let needs_restart = keep_startup_keys(&state.config(), &mut cfg);
    let stats = apply_config(&state.store, &cfg).await?;
    state.swap_config(cfg);
    // The previous config (and the new one's YAML tree) are gone now.
    argos_heap::release_free_memory();
    tracing::info!(
        added = stats.added,
        updated = stats.updated,
        removed = stats.removed,
        "config reloaded from {}",
        path.display()
    );
    if !needs_restart.is_empty() {
        tracing::warn!(
            keys = %needs_restart.join(", "),
            "config reloaded, but these changed keys need a restart to apply: {}",
            needs_restart.join(", ")
        );
    }
    Ok(Reloaded {
        stats,
        needs_restart,
    })
}

/// The keys read only when the server starts: its database connection and whether it runs
/// the embedded agent.
pub const RESTART_KEYS: [&str; 4] = [
    "general.db.url",
    "general.db.pool_size",
    "general.db.max_overflow",
    "general.embedded_agent",
];

/// Gives `new` the running values of [`RESTART_KEYS`] (so the config in force says what is
/// in force, and the next reload still reports them); returns those that differed.
fn keep_startup_keys(running: &Config, new: &mut Config) -> Vec<&'static str> {
    let (old, g) = (&running.general, &mut new.general);
    let changed = [
        old.db.url != g.db.url,
        old.db.pool_size != g.db.pool_size,
        old.db.max_overflow != g.db.max_overflow,
        old.embedded_agent != g.embedded_agent,
    ];
    g.db = old.db.clone();
    g.embedded_agent = old.embedded_agent;
    RESTART_KEYS
        .iter()
        .zip(changed)
        .filter_map(|(key, changed)| changed.then_some(*key))
        .collect()
}

/// Periodic housekeeping: results older than `recurring_tasks.max_results_age` (on
/// PostgreSQL whole days, whose partitions are prepared ahead here too) and roll-ups
/// past `general.rollups` are deleted, and the agents are watched (the no-agent alert). Expired leases need no sweep: leasing
/// treats them as free.
async fn maintenance(state: Arc<AppState>, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    let mut tick = tokio::time::interval(MAINTENANCE_PERIOD);
    loop {
        tokio::select! {
            () = &mut stop => return,
            _ = tick.tick() => {}
        }
        if let Err(e) = watch_agents(&state, Utc::now()).await {
            tracing::error!(error = %e, "watching the agents failed");
        }
        if let Err(e) = state.store.purge_sessions(Utc::now()).await {
            tracing::error!(error = %e, "purging expired sessions failed");
        }
        if let Err(e) = state.store.prepare_results(Utc::now()).await {
            tracing::error!(error = %e, "preparing the coming days' result partitions failed");
        }
        let age = state.config().recurring_tasks.max_results_age;
        match state.store.purge_results(cutoff(Utc::now(), age)).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "old results purged"),
            Err(e) => tracing::error!(error = %e, "purging old results failed"),
        }
        purge_rollups(&state, Utc::now()).await;
    }
}

/// What is older than `age` at `now` is past its retention. A retention reaching before
/// chrono's first instant keeps everything (config bounds retentions to a hundred years, so
/// that takes a stored clock gone wild; it must not panic the maintenance loop).
pub fn cutoff(now: chrono::DateTime<Utc>, age: Duration) -> chrono::DateTime<Utc> {
    chrono::Duration::from_std(age)
        .ok()
        .and_then(|age| now.checked_sub_signed(age))
        .unwrap_or(chrono::DateTime::<Utc>::MIN_UTC)
}

/// Deletes the roll-ups past `general.rollups` (on PostgreSQL, one replica at a time).
async fn purge_rollups(state: &AppState, now: chrono::DateTime<Utc>) {
    let keep = state.config().general.rollups;
    let (hourly, daily) = (keep.hourly_retention, keep.daily_retention);
    let purged = state
        .store
        .purge_rollups(cutoff(now, hourly), cutoff(now, daily))
        .await;
    match purged {
        Ok(0) => {}
        Ok(n) => tracing::info!(deleted = n, "old roll-ups purged"),
        Err(e) => tracing::error!(error = %e, "purging old roll-ups failed"),
    }
}

/// One round of the no-agent watch at `now`; wakes the notifier when it wrote an alert.
/// Returns the kind of alert this process wrote, if any.
///
/// # Errors
/// Store errors.
pub async fn watch_agents(
    state: &AppState,
    now: chrono::DateTime<Utc>,
) -> Result<Option<crate::store::AlertKind>, crate::store::Error> {
    let limit = state.config().recurring_tasks.time_without_agent;
    let rules = state.rules();
    let raised = no_agent::check(&state.store, &rules, state.started, limit, now).await?;
    if let Some(kind) = raised {
        tracing::warn!(kind = kind.as_str(), "agents watch: alert raised");
        state.alerts_written.notify_one();
    }
    Ok(raised)
}

/// Refuses to start when a routed channel cannot work: an Apprise group routed without an
/// Apprise API server and without the `apprise` tool installed.
async fn check_channels(cfg: &Config) -> anyhow::Result<()> {
    let routed_apprise = cfg.general.apprise.keys().any(|group| {
        let name = crate::config::Recipient::Apprise(group.clone());
        routes(cfg, &name)
    });
    if routed_apprise
        && cfg.general.apprise_api_url.is_none()
        && !apprise::tool_available(apprise::PROGRAM).await
    {
        anyhow::bail!(
            "an apprise:<group> recipient is routed, but the `{}` command is not installed \
             (pip install apprise) and general.apprise_api_url is not set",
            apprise::PROGRAM
        );
    }
    Ok(())
}

/// Whether any alert can go to `recipient`.
fn routes(cfg: &Config, recipient: &crate::config::Recipient) -> bool {
    let a = &cfg.general.alerts;
    [&a.ok, &a.warning, &a.critical, &a.unknown, &a.no_agent]
        .into_iter()
        .chain(cfg.websites.iter().map(|w| &w.add_alerts_recipients))
        .chain(
            cfg.websites
                .iter()
                .filter_map(|w| w.overwrite_alerts_recipients.as_ref()),
        )
        .any(|list| list.contains(recipient))
}

/// The agent inside the server: same pipeline as a remote agent, but leasing and reporting
/// go straight to [`AppState`] instead of over HTTP.
fn embedded_agent(
    state: Arc<AppState>,
    stop: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<impl Future<Output = ()>> {
    let probe = Probe::new(ProbeOptions::default())?;
    let name = format!("embedded@{}", argos_agent::args::hostname());
    let source = Arc::new(LocalSource { state, name });
    let opts = RunOptions {
        max_in_flight: EMBEDDED_AGENT_IN_FLIGHT,
        idle_wait: Duration::from_secs(1),
        ..RunOptions::default()
    };
    let agent = argos_agent::run(source, Arc::new(probe), opts, stop);
    // A dead agent has already stopped leasing; the server keeps serving pages and remote
    // agents, and says why loudly.
    Ok(async move {
        if let Err(e) = agent.await {
            tracing::error!(error = %e, "the embedded agent stopped");
        }
    })
}

/// [`TaskSource`] backed directly by the server's state.
struct LocalSource {
    state: Arc<AppState>,
    name: String,
}

impl TaskSource for LocalSource {
    async fn lease(&self, max_groups: u32) -> Result<Lease, SourceError> {
        let version = concat!("argos ", env!("CARGO_PKG_VERSION"), " (embedded agent)");
        self.state
            .lease_as(&self.name, Some(version), max_groups)
            .await
            .map(Lease::from)
            .map_err(|e| SourceError::Unreachable(e.to_string()))
    }

    /// A store error that may pass is the agent's "server unreachable" (kept, retried after
    /// a backoff); any other fails again on the same batch, so it is the agent's "batch
    /// refused" (split until the result at fault is alone, which is then replaced by an
    /// error result), never retried as it is.
    async fn report(&self, results: &[AgentResult]) -> Result<(), SourceError> {
        match self.state.ingest(&self.name, results).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_transient() => Err(SourceError::Unreachable(e.to_string())),
            Err(e) => {
                tracing::error!(error = %e, results = results.len(),
                    "the store refused a batch of the embedded agent's results");
                Err(refused(&e))
            }
        }
    }
}

/// A store error that retrying will not cure, as the agent's reporter knows a batch the
/// server refuses: an HTTP 422 (unprocessable) with the cause as its body.
fn refused(e: &crate::store::Error) -> SourceError {
    SourceError::Rejected {
        status: 422,
        body: e.to_string(),
        retry_after: None,
    }
}

#[cfg(test)]
mod tests;
