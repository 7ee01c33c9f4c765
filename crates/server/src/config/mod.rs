//! The server configuration: one YAML file (plus `!include`d files) in the Argos Panoptès
//! format, read once into validated, immutable types.
//!
//! How it flows: [`resolve_path`] picks the file, [`load`] reads it into a [`yaml`] tree
//! (every node knows its file and line), then one reader per section checks it and applies
//! defaults. Every problem is collected, so a broken config is reported in full in one run:
//! `config.yaml:41: websites[3].paths[0].checks[1]: unknown check "status-iz" (...)`.
//! Unknown keys are warnings (errors with [`LoadOptions::strict`]); warnings of a config
//! that loads are in [`Config::warnings`].
//!
//! Map: `document`/`include`/`yaml` (YAML → tree), `reader` (typed access that records
//! problems), `duration` (from `argos-checks`: check expectations hold durations too), one
//! module per section (`general`, `db`, `alerts`, `channels`, `sections`, `websites`, `paths`
//! and its request `options`), `problem`, `resolve`.
//!
//! To add a key: add it to its section's `KEYS` list and read it in that section's reader;
//! the unknown-key warning and its did-you-mean follow from the list.
//!
//! Not here: turning websites into tasks, and anything that talks to the network.

mod alerts;
pub(crate) mod channels;
mod db;
mod document;
mod general;
mod include;
mod ldap;
mod maintenance;
mod options;
mod paths;
pub(crate) mod problem;
pub(crate) mod reader;
mod resolve;
mod rollups;
mod sections;
mod websites;
pub(crate) mod yaml;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use crate::notify::gotify::Gotify;
pub use crate::notify::mail::{Mail, MailAuth};
pub use alerts::{Alerts, Recipient};
pub use argos_checks::duration;
pub use argos_checks::{Check, IpVersion, Method, RequestData, Severity, Threshold};
pub use db::{DEFAULT_MAX_OVERFLOW, DEFAULT_POOL_SIZE, Db, MAX_POOL};
pub use general::{
    DEFAULT_ALERT_STORM_THRESHOLD, DEFAULT_SESSION_DURATION, Env, General, MAX_RETRIES,
    MAX_STORM_THRESHOLD, UnauthenticatedAccess,
};
pub use ldap::Ldap;
pub use paths::PathConfig;
pub use problem::{ConfigError, Level, Problem};
pub use reader::{MAX_DURATION, MAX_PERIOD, MAX_SESSION};
pub use resolve::{ENV_VAR, LOCAL_FILE, SYSTEM_FILE, candidates, first_readable, resolve_path};
pub use rollups::{
    DEFAULT_DAILY_RETENTION, DEFAULT_HOURLY_RETENTION, MIN_DAILY_RETENTION, MIN_HOURLY_RETENTION,
    Rollups,
};
pub use sections::{
    DEFAULT_MAX_LOCK_SECONDS, DEFAULT_TIME_WITHOUT_AGENT_MINUTES, MAX_LOCK_SECONDS,
    MAX_TIME_WITHOUT_AGENT_MINUTES, RecurringTasks, Service, Ssl,
};
pub use websites::Website;

use include::Loader;
use problem::Problems;
use reader::Section;

/// A validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The main file it was read from.
    pub source: PathBuf,
    /// `general`: database, sessions, defaults, notification channels.
    pub general: General,
    /// `service`: agent tokens.
    pub service: Service,
    /// `ssl`: certificate expiry thresholds.
    pub ssl: Ssl,
    /// `recurring_tasks`: the maintenance loop.
    pub recurring_tasks: RecurringTasks,
    /// `websites`, in file order (included files in sorted order).
    pub websites: Vec<Website>,
    /// (Argos Rust) `maintenance`: windows during which alerts are held.
    pub maintenance: Vec<crate::alerting::maintenance::Window>,
    /// Problems that did not prevent loading (unknown keys, example secrets, ...).
    pub warnings: Vec<Problem>,
}

/// How strict [`load`] is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Unknown keys are errors instead of warnings.
    pub strict: bool,
}

const TOP_LEVEL: [&str; 5] = ["general", "service", "ssl", "recurring_tasks", "websites"];
/// Every top-level key: the required ones and our optional `maintenance`.
const TOP_LEVEL_KEYS: [&str; 6] = [
    "general",
    "service",
    "ssl",
    "recurring_tasks",
    "websites",
    "maintenance",
];

impl Config {
    /// One line for the logs, e.g. "12 websites, 40 paths".
    pub fn summary(&self) -> String {
        let paths: usize = self.websites.iter().map(|w| w.paths.len()).sum();
        format!("{} websites, {paths} paths", self.websites.len())
    }
}

/// Reads and validates the configuration file at `path` and the files it includes.
///
/// # Errors
/// [`ConfigError::Io`] when `path` cannot be read; [`ConfigError::Invalid`] with every
/// problem found (warnings included) when anything is wrong.
pub fn load(path: &Path, opts: &LoadOptions) -> Result<Config, ConfigError> {
    let bytes = std::fs::read(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut problems = Problems::new(opts.strict);
    match include::decode(bytes, path, "", &mut problems) {
        Some(text) => build(&text, path, problems),
        None => Err(ConfigError::Invalid(problems.into_vec(path))),
    }
}

/// Like [`load`], from text. `virtual_path` names the file in problems, and `!include`
/// paths are relative to its directory.
///
/// # Errors
/// [`ConfigError::Invalid`] with every problem found.
pub fn load_str(
    text: &str,
    virtual_path: &Path,
    opts: &LoadOptions,
) -> Result<Config, ConfigError> {
    build(text, virtual_path, Problems::new(opts.strict))
}

fn build(text: &str, path: &Path, problems: Problems) -> Result<Config, ConfigError> {
    let mut loader = Loader::new(problems);
    let root = loader.root(text, path);
    let mut p = loader.into_problems();
    let config = root.map(|root| read_root(&root, path, &mut p));
    match config {
        Some(mut config) if !p.has_errors() => {
            config.warnings = p.into_vec(path);
            Ok(config)
        }
        _ => Err(ConfigError::Invalid(p.into_vec(path))),
    }
}

fn read_root(root: &yaml::Node, path: &Path, p: &mut Problems) -> Config {
    let sec = Section::new(root, "", &TOP_LEVEL_KEYS, p);
    let section = |key: &str, p: &mut Problems| {
        let found = sec.get(key);
        if let (None, Some(node)) = (found, sec.node()) {
            p.error(
                node,
                key,
                format!(
                    "missing section `{key}` (required: {})",
                    TOP_LEVEL.join(", ")
                ),
            );
        }
        found
    };
    let (general, channels) = general::read(section("general", p), p);
    let service = section("service", p)
        .map(|n| sections::read_service(n, p))
        .unwrap_or_default();
    let ssl = section("ssl", p)
        .map(|n| sections::read_ssl(n, p))
        .unwrap_or_default();
    let recurring_tasks = sections::read_recurring(section("recurring_tasks", p), p);
    // `websites:` with nothing after it is an empty list, not a missing section.
    let websites = match root.get("websites") {
        Some(n) if n.value == yaml::Value::Null => Vec::new(),
        Some(n) => {
            let defaults = websites::Defaults {
                general: &general,
                channels: &channels,
                lease: Duration::from_secs(recurring_tasks.max_lock_seconds),
            };
            websites::read_websites(n, &defaults, p)
        }
        None => {
            section("websites", p);
            Vec::new()
        }
    };
    let sites: Vec<(String, String)> = websites
        .iter()
        .map(|w| (w.domain.to_string(), crate::plan::netloc(&w.domain)))
        .collect();
    let maintenance = sec
        .get("maintenance")
        .map(|n| maintenance::read(n, &sites, p))
        .unwrap_or_default();
    Config {
        source: path.to_path_buf(),
        general,
        service,
        ssl,
        recurring_tasks,
        websites,
        maintenance,
        warnings: Vec::new(),
    }
}
