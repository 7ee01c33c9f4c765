//! The config's alerting rules, looked up per task by its website's domain: the policy
//! (`retry_before_notification`, `recovery_threshold`, `reminder_interval`), the routing
//! (`general.alerts` per severity, a website's `add_alerts_recipients` and
//! `overwrite_alerts_recipients`) and the maintenance windows covering it.
//!
//! Routing, as the reference does it (§6.3) but with `local` allowed and an empty overwrite
//! list muting the website: without an overwrite list, `general.alerts.<severity>` plus the
//! website's additions; with one, exactly that list for every severity.
//!
//! Built once per config (a reload builds new rules), pure afterwards.

use std::collections::HashMap;

use argos_checks::Severity;
use chrono::{DateTime, Utc};

use super::maintenance::Window;
use super::step::{self, AlertState, Event, Observation, Policy};
use crate::config::{Alerts, Config, General, Recipient, Website};

/// Alerting rules of one config.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    general: Site,
    alerts: Alerts,
    sites: HashMap<String, Site>,
    /// `host[:port]` → the windows covering a website there (what the pages group by).
    netlocs: HashMap<String, Vec<usize>>,
    windows: Vec<Window>,
}

/// One website's rules.
#[derive(Debug, Clone, Default)]
struct Site {
    policy: Policy,
    add: Vec<Recipient>,
    overwrite: Option<Vec<Recipient>>,
    /// Indices in `Rules::windows` of the windows covering it.
    windows: Vec<usize>,
}

impl Rules {
    /// The rules of `cfg`.
    pub fn new(cfg: &Config) -> Rules {
        let windows = cfg.maintenance.clone();
        let covering = |domain: &str, netloc: &str| -> Vec<usize> {
            (0..windows.len())
                .filter(|&i| windows[i].covers(domain, netloc))
                .collect()
        };
        let mut sites = HashMap::new();
        let mut netlocs: HashMap<String, Vec<usize>> = HashMap::new();
        for w in &cfg.websites {
            let domain = w.domain.to_string();
            let netloc = crate::plan::netloc(&w.domain);
            let site = site(w, covering(&domain, &netloc));
            let at_netloc = netlocs.entry(netloc).or_default();
            for &i in &site.windows {
                if !at_netloc.contains(&i) {
                    at_netloc.push(i);
                }
            }
            // Two websites with one domain: the first one's rules, as for its tasks.
            sites.entry(domain).or_insert(site);
        }
        let general = Site {
            policy: general_policy(&cfg.general),
            windows: covering("", ""),
            ..Site::default()
        };
        Rules {
            general,
            alerts: cfg.general.alerts.clone(),
            sites,
            netlocs,
            windows,
        }
    }

    fn site(&self, domain: &str) -> &Site {
        self.sites.get(domain).unwrap_or(&self.general)
    }

    /// Steps a task of the website `domain` with a result of `severity` at `at`.
    pub fn observe(
        &self,
        domain: &str,
        state: AlertState,
        severity: Severity,
        at: DateTime<Utc>,
    ) -> (AlertState, Option<Event>) {
        let site = self.site(domain);
        let obs = Observation {
            severity,
            at,
            in_maintenance: self.open_window(site, at).is_some(),
        };
        step::step(state, obs, &site.policy)
    }

    /// The policy for the website `domain`.
    pub fn policy(&self, domain: &str) -> Policy {
        self.site(domain).policy
    }

    /// The name of the maintenance window holding the alerts of `domain` at `at`, if any.
    pub fn maintenance(&self, domain: &str, at: DateTime<Utc>) -> Option<&str> {
        self.open_window(self.site(domain), at)
            .map(|w| w.name.as_str())
    }

    /// The name of an open window covering a website at `netloc` (`host[:port]`), if any.
    pub fn maintenance_of_netloc(&self, netloc: &str, at: DateTime<Utc>) -> Option<&str> {
        let windows = self.netlocs.get(netloc)?;
        windows
            .iter()
            .map(|&i| &self.windows[i])
            .find(|w| w.is_open(at))
            .map(|w| w.name.as_str())
    }

    fn open_window(&self, site: &Site, at: DateTime<Utc>) -> Option<&Window> {
        site.windows
            .iter()
            .map(|&i| &self.windows[i])
            .find(|w| w.is_open(at))
    }

    /// Where an alert of `severity` about the website `domain` goes.
    pub fn recipients(&self, domain: &str, severity: Severity) -> Vec<String> {
        let site = self.site(domain);
        let list: Vec<&Recipient> = match &site.overwrite {
            Some(only) => only.iter().collect(),
            None => {
                let base = match severity {
                    Severity::Ok => &self.alerts.ok,
                    Severity::Warning => &self.alerts.warning,
                    Severity::Critical => &self.alerts.critical,
                    Severity::Unknown => &self.alerts.unknown,
                };
                base.iter().chain(&site.add).collect()
            }
        };
        names(list)
    }

    /// Where the no-agent alert goes: `general.alerts.no_agent` only.
    pub fn no_agent_recipients(&self) -> Vec<String> {
        names(self.alerts.no_agent.iter().collect())
    }

    /// Every window, for the pages.
    pub fn windows(&self) -> &[Window] {
        &self.windows
    }
}

/// Distinct names in first-seen order.
fn names(list: Vec<&Recipient>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for r in list {
        let name = r.to_string();
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

fn general_policy(g: &General) -> Policy {
    Policy {
        retry_before_notification: g.retry_before_notification,
        recovery_threshold: g.recovery_threshold,
        reminder: g
            .reminder_interval
            .and_then(|d| chrono::Duration::from_std(d).ok()),
    }
}

fn site(w: &Website, windows: Vec<usize>) -> Site {
    Site {
        policy: Policy {
            retry_before_notification: w.retry_before_notification,
            recovery_threshold: w.recovery_threshold,
            reminder: w
                .reminder_interval
                .and_then(|d| chrono::Duration::from_std(d).ok()),
        },
        add: w.add_alerts_recipients.clone(),
        overwrite: w.overwrite_alerts_recipients.clone(),
        windows,
    }
}
