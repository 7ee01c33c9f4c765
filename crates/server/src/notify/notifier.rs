//! The notifier: claims due deliveries from the outbox, groups them into messages, sends each
//! channel's messages in a task of its own, and records every outcome. The one place that
//! retries.
//!
//! - Woken by ingestion when it wrote alerts, and every [`POLL`] for retries and for alerts
//!   other server processes wrote. After a wake it waits [`GATHER`] so that the alerts of one
//!   storm (many results arriving over a second or two) travel together.
//! - Grouping, per channel and pass: alerts of one domain make one message; when more than
//!   `general.alert_storm_threshold` domains are in the pass, one summary message instead.
//! - A channel still sending is skipped by the next claims, so a slow or failing channel
//!   never delays another, nor ingestion (which only writes rows).
//! - A failed send is retried after [`backoff`] (10 s doubling to 1 h, with jitter), up to
//!   [`MAX_ATTEMPTS`]; a permanent failure (the receiver refuses it) is not retried.
//! - Claims last [`CLAIM_LEASE`] and are renewed while this process runs: when it dies, its
//!   claims run out and another process (or this one, restarted) sends them.
//! - An outcome the store could not record (the database away for a moment) is kept and
//!   recorded again before each pass, under the still-renewed claim: a sent alert is then
//!   neither sent again by another process nor left pending, and a failed one is retried.

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;

use super::{Channel, Ctx, Notice, SendError};
use crate::state::AppState;
use crate::store::{Delivery, DeliveryOutcome};

/// How often the outbox is polled without a wake.
pub const POLL: Duration = Duration::from_secs(2);
/// How long after a wake the notifier waits before claiming.
pub const GATHER: Duration = Duration::from_millis(500);
/// How long a claim holds (renewed every third of it while the process lives).
pub const CLAIM_LEASE: Duration = Duration::from_secs(120);
/// Deliveries claimed per pass.
pub const PASS_LIMIT: i64 = 5_000;
/// Attempts before a delivery fails for good.
pub const MAX_ATTEMPTS: i32 = 10;

/// The delay before attempt `attempts + 1`: 10 s, 20 s, 40 s, … capped at 1 h, ±20 %.
pub fn backoff(attempts: i32, jitter: f64) -> Duration {
    let base = 10.0 * 2f64.powi(attempts.clamp(0, 20));
    let capped = base.min(3600.0);
    Duration::from_secs_f64(capped * (0.8 + 0.4 * jitter.clamp(0.0, 1.0)))
}

/// One process's notifier.
pub struct Notifier {
    state: Arc<AppState>,
    ctx: Ctx,
    claimer: String,
    busy: Arc<Mutex<HashSet<String>>>,
    /// Outcomes known but not yet in the store.
    unrecorded: Mutex<Vec<(i64, DeliveryOutcome)>>,
}

impl Notifier {
    /// A notifier for `state`, claiming as `<host>:<pid>:<random>`.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(state: Arc<AppState>) -> Result<Notifier, reqwest::Error> {
        let claimer = format!(
            "{}:{}:{}",
            argos_agent::args::hostname(),
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        Ok(Notifier {
            state,
            ctx: Ctx::new()?,
            claimer,
            busy: Arc::default(),
            unrecorded: Mutex::default(),
        })
    }

    /// Runs until `stop` resolves, then waits (up to the send timeout) for sends in flight.
    pub async fn run(self, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        let this = Arc::new(self);
        let mut tick = tokio::time::interval(POLL);
        let mut renew = tokio::time::interval(CLAIM_LEASE / 3);
        let mut sending = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                () = &mut stop => break,
                () = this.state.alerts_written.notified() => tokio::time::sleep(GATHER).await,
                _ = tick.tick() => {}
                _ = renew.tick() => {
                    this.renew().await;
                    continue;
                }
                Some(_) = sending.join_next() => continue,
            }
            this.record_again().await;
            for (channel, deliveries) in this.claim().await {
                let this = Arc::clone(&this);
                sending.spawn(async move { this.send_channel(channel, deliveries).await });
            }
        }
        let drain = async { while sending.join_next().await.is_some() {} };
        let _ = tokio::time::timeout(super::SEND_TIMEOUT + Duration::from_secs(10), drain).await;
        // Last chance before the claims are left to run out (and be sent again elsewhere).
        this.record_again().await;
    }

    /// Claims what is due for channels not busy, grouped by channel (now marked busy).
    async fn claim(&self) -> BTreeMap<String, Vec<Delivery>> {
        let busy: Vec<String> = self.lock_busy().iter().cloned().collect();
        let now = Utc::now();
        let until = now + chrono::Duration::from_std(CLAIM_LEASE).expect("a small duration");
        let claimed = match self
            .state
            .store
            .claim_deliveries(&self.claimer, now, until, PASS_LIMIT, &busy)
            .await
        {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "claiming alerts to send failed");
                return BTreeMap::new();
            }
        };
        let mut by_channel: BTreeMap<String, Vec<Delivery>> = BTreeMap::new();
        for d in claimed {
            by_channel.entry(d.channel.clone()).or_default().push(d);
        }
        self.lock_busy().extend(by_channel.keys().cloned());
        by_channel
    }

    async fn renew(&self) {
        let until = Utc::now() + chrono::Duration::from_std(CLAIM_LEASE).expect("small");
        if let Err(e) = self.state.store.renew_claims(&self.claimer, until).await {
            tracing::warn!(error = %e, "renewing alert claims failed");
        }
    }

    fn lock_busy(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.busy.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends one channel's deliveries, message by message, recording each outcome at once
    /// (a crash then resends as little as possible).
    async fn send_channel(&self, name: String, deliveries: Vec<Delivery>) {
        let cfg = self.state.config();
        let channels = self.state.channels();
        let base = cfg.general.public_url.as_ref();
        let threshold = cfg.general.alert_storm_threshold as usize;
        for group in messages(&deliveries, threshold) {
            let group: Vec<&Delivery> = group.iter().map(|&i| &deliveries[i]).collect();
            let outcome = match channels.get(&name) {
                Some(channel) => self.send_one(channel, &group, base, threshold).await,
                None => Err(SendError::permanent(format!(
                    "channel {name:?} is not configured any more"
                ))),
            };
            self.record(&name, &group, outcome).await;
        }
        self.lock_busy().remove(&name);
    }

    async fn send_one(
        &self,
        channel: &Channel,
        group: &[&Delivery],
        base: Option<&url::Url>,
        threshold: usize,
    ) -> Result<(), SendError> {
        let alerts: Vec<_> = group.iter().map(|d| &d.alert).collect();
        let notice = if domains(group) > threshold {
            Notice::summary(&alerts, base)
        } else {
            Notice::for_alerts(&alerts, base)
        };
        channel.send(&self.ctx, &notice, &group[0].done).await
    }

    async fn record(&self, channel: &str, group: &[&Delivery], outcome: Result<(), SendError>) {
        let now = Utc::now();
        let outcomes: Vec<(i64, DeliveryOutcome)> = group
            .iter()
            .map(|d| (d.id, decide(d.attempts, &outcome, now)))
            .collect();
        match &outcome {
            Ok(()) => tracing::debug!(channel, alerts = group.len(), "alert sent"),
            Err(e) => {
                tracing::warn!(channel, alerts = group.len(), error = %e, "sending an alert failed")
            }
        }
        if let Err(e) = self
            .state
            .store
            .record_deliveries(&self.claimer, &outcomes, now)
            .await
        {
            tracing::error!(channel, error = %e, "recording alert deliveries failed; kept to record again");
            self.lock_unrecorded().extend(outcomes);
        }
    }

    /// Records the outcomes an earlier pass could not, keeping them if the store still fails.
    async fn record_again(&self) {
        let outcomes = std::mem::take(&mut *self.lock_unrecorded());
        if outcomes.is_empty() {
            return;
        }
        let store = &self.state.store;
        match store
            .record_deliveries(&self.claimer, &outcomes, Utc::now())
            .await
        {
            Ok(_) => tracing::info!(deliveries = outcomes.len(), "alert outcomes recorded late"),
            Err(e) => {
                tracing::warn!(error = %e, "recording alert deliveries failed again");
                self.lock_unrecorded().extend(outcomes);
            }
        }
    }

    fn lock_unrecorded(&self) -> std::sync::MutexGuard<'_, Vec<(i64, DeliveryOutcome)>> {
        self.unrecorded.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What becomes of a delivery after attempt `attempts + 1` ended with `outcome`.
fn decide(
    attempts: i32,
    outcome: &Result<(), SendError>,
    now: chrono::DateTime<Utc>,
) -> DeliveryOutcome {
    match outcome {
        Ok(()) => DeliveryOutcome::Sent,
        Err(e) if e.permanent || attempts + 1 >= MAX_ATTEMPTS => DeliveryOutcome::Failed {
            error: e.message.clone(),
            done: e.done.clone(),
        },
        Err(e) => {
            let wait = backoff(attempts, rand_unit());
            DeliveryOutcome::Retry {
                at: now + chrono::Duration::from_std(wait).expect("under an hour"),
                error: e.message.clone(),
                done: e.done.clone(),
            }
        }
    }
}

/// A number in [0, 1) for jitter, without a random-number crate: the clock's nanoseconds.
fn rand_unit() -> f64 {
    f64::from(Utc::now().timestamp_subsec_nanos() % 1_000_000) / 1_000_000.0
}

fn domains(group: &[&Delivery]) -> usize {
    let set: HashSet<&str> = group
        .iter()
        .filter_map(|d| d.alert.netloc.as_deref())
        .collect();
    set.len()
}

/// How one channel's deliveries become messages (indices into `deliveries`): a system alert
/// alone; task alerts by domain, or all in one summary when more than `threshold` domains
/// changed. Deliveries that already reached different targets are never merged.
pub fn messages(deliveries: &[Delivery], threshold: usize) -> Vec<Vec<usize>> {
    let mut by_domain: BTreeMap<(Vec<String>, String), Vec<usize>> = BTreeMap::new();
    let mut out = Vec::new();
    for (i, d) in deliveries.iter().enumerate() {
        match &d.alert.netloc {
            Some(netloc) if d.alert.kind.is_task() => by_domain
                .entry((d.done.clone(), netloc.clone()))
                .or_default()
                .push(i),
            _ => out.push(vec![i]),
        }
    }
    let mut by_done: BTreeMap<Vec<String>, Vec<Vec<usize>>> = BTreeMap::new();
    for ((done, _), group) in by_domain {
        by_done.entry(done).or_default().push(group);
    }
    for groups in by_done.into_values() {
        if groups.len() > threshold {
            out.push(groups.concat());
        } else {
            out.extend(groups);
        }
    }
    out
}

#[cfg(test)]
#[path = "notifier_tests.rs"]
mod tests;
