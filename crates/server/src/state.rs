//! The state shared by the web handlers, the embedded agent and the maintenance loop.
//!
//! Built once from the config; a config reload swaps the `Arc<Config>` atomically (readers
//! holding the old one finish with it). Leasing and ingestion live here, not in the handlers,
//! so the HTTP agent API and the embedded agent go through exactly the same code.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use argos_checks::{AgentResult, MAX_LEASE_GROUPS, Task, finalize};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::alerting::Rules;
use crate::config::Config;
use crate::notify::Channels;
use crate::store::{self, Ingested, Store};

mod seen;

/// The config in force and what is derived from it, swapped together on reload.
struct Live {
    config: Arc<Config>,
    rules: Arc<Rules>,
    channels: Arc<Channels>,
}

impl Live {
    fn new(config: Config) -> Live {
        Live {
            rules: Arc::new(Rules::new(&config)),
            channels: Arc::new(Channels::from_general(&config.general)),
            config: Arc::new(config),
        }
    }
}

/// Shared server state (cheap to clone through `Arc`).
pub struct AppState {
    /// The database.
    pub store: Store,
    live: RwLock<Arc<Live>>,
    /// Woken when ingestion wrote alerts, so that the notifier sends them at once.
    pub alerts_written: tokio::sync::Notify,
    /// Failed logins by user name and by address.
    pub throttle: crate::auth::throttle::Throttle,
    /// When this process started.
    pub started: DateTime<Utc>,
    /// Page templates, compiled once.
    pub templates: minijinja::Environment<'static>,
    /// Agents whose lease calls were recently recorded.
    seen: seen::Seen,
}

impl AppState {
    /// State over `store` with `config`.
    pub fn new(store: Store, config: Config) -> AppState {
        AppState {
            store,
            live: RwLock::new(Arc::new(Live::new(config))),
            alerts_written: tokio::sync::Notify::new(),
            throttle: crate::auth::throttle::Throttle::default(),
            started: Utc::now(),
            templates: crate::web::pages::templates(),
            seen: seen::Seen::default(),
        }
    }

    fn live(&self) -> Arc<Live> {
        // A poisoned lock only means a writer panicked mid-swap of an Arc: the value is intact.
        self.live.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The config in force.
    pub fn config(&self) -> Arc<Config> {
        self.live().config.clone()
    }

    /// The alerting rules of the config in force.
    pub fn rules(&self) -> Arc<Rules> {
        self.live().rules.clone()
    }

    /// The notification channels of the config in force.
    pub fn channels(&self) -> Arc<Channels> {
        self.live().channels.clone()
    }

    /// Puts a new config in force.
    pub fn swap_config(&self, config: Config) {
        *self.live.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(Live::new(config));
    }

    /// Whether `token` is one of `service.secrets`. Both sides are hashed first so the
    /// comparison takes the same time whatever the token's length or content.
    pub fn is_agent_token(&self, token: &str) -> bool {
        let given = Sha256::digest(token.as_bytes());
        let cfg = self.config();
        cfg.service.secrets.iter().fold(false, |found, secret| {
            let want = Sha256::digest(secret.as_bytes());
            let diff = given
                .iter()
                .zip(want.iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b));
            found | (diff == 0)
        })
    }

    /// Leases up to `max_groups` request groups to `agent` for `recurring_tasks.max_lock_seconds`.
    ///
    /// # Errors
    /// Store errors.
    pub async fn lease(&self, agent: &str, max_groups: u32) -> Result<Vec<Task>, store::Error> {
        self.lease_as(agent, None, max_groups).await
    }

    /// [`AppState::lease`], recording the agent's version (its User-Agent).
    ///
    /// # Errors
    /// Store errors.
    pub async fn lease_as(
        &self,
        agent: &str,
        version: Option<&str>,
        max_groups: u32,
    ) -> Result<Vec<Task>, store::Error> {
        let now = Utc::now();
        let lease_for = Duration::from_secs(self.config().recurring_tasks.max_lock_seconds);
        if self.seen.record(agent, version, std::time::Instant::now()) {
            self.store.touch_agent_version(agent, version, now).await?;
        }
        self.store
            .lease(agent, max_groups.clamp(1, MAX_LEASE_GROUPS), lease_for, now)
            .await
    }

    /// Finalizes (status → severity, with the SSL thresholds in force) and stores results
    /// from `agent`. Results for tasks not leased to `agent`, or naming another lease than
    /// the task's, are ignored.
    ///
    /// # Errors
    /// Store errors.
    pub async fn ingest(
        &self,
        agent: &str,
        results: &[AgentResult],
    ) -> Result<Vec<Ingested>, store::Error> {
        let live = self.live();
        let thresholds = &live.config.ssl.thresholds;
        let finalizer =
            |check: &str, r: &AgentResult| finalize(check, r.status, &r.context, thresholds);
        let now = Utc::now();
        let ingested = self
            .store
            .ingest_agent_results(agent, results, &finalizer, &live.rules, now)
            .await?;
        if ingested.iter().any(|i| i.alerted) {
            self.alerts_written.notify_one();
        }
        // Accepted results mark the agent seen inside the ingest transaction; only a batch
        // with nothing accepted needs the separate write.
        if ingested.is_empty() {
            self.store.touch_agent(agent, now).await?;
        }
        Ok(ingested)
    }
}
