//! (Argos Rust) `general.rollups`: how long the hourly and daily roll-ups behind the domain
//! page's uptime and chart are kept.
//!
//! ```yaml
//! general:
//!   rollups:
//!     hourly_retention: "30d"
//!     daily_retention: "1y"
//! ```
//!
//! Floors: the page reads 7 days of hourly roll-ups and 30 days of daily ones, so shorter
//! retentions would show wrong figures rather than save space worth having.

use std::time::Duration;

use super::problem::Problems;
use super::reader::{self, Section};
use super::yaml::Node;

const DAY: u64 = 86_400;
/// Default of `general.rollups.hourly_retention`: 30 days.
pub const DEFAULT_HOURLY_RETENTION: Duration = Duration::from_secs(30 * DAY);
/// Default of `general.rollups.daily_retention`: "1y" (366 days, as durations count a year).
pub const DEFAULT_DAILY_RETENTION: Duration = Duration::from_secs(366 * DAY);
/// Shortest `hourly_retention`: the domain page's 7-day chart and uptime.
pub const MIN_HOURLY_RETENTION: Duration = Duration::from_secs(7 * DAY);
/// Shortest `daily_retention`: the domain page's 30-day uptime.
pub const MIN_DAILY_RETENTION: Duration = Duration::from_secs(30 * DAY);

const KEYS: &[&str] = &["hourly_retention", "daily_retention"];

/// Validated `general.rollups`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rollups {
    /// Hourly roll-ups older than this are deleted.
    pub hourly_retention: Duration,
    /// Daily roll-ups older than this are deleted.
    pub daily_retention: Duration,
}

impl Default for Rollups {
    fn default() -> Rollups {
        Rollups {
            hourly_retention: DEFAULT_HOURLY_RETENTION,
            daily_retention: DEFAULT_DAILY_RETENTION,
        }
    }
}

/// Reads `general.rollups` (absent: the defaults).
pub(crate) fn read(node: Option<&Node>, path: &str, p: &mut Problems) -> Rollups {
    let Some(node) = node else {
        return Rollups::default();
    };
    let sec = Section::new(node, path, KEYS, p);
    let retention = |key: &str, min: Duration, why: &str, p: &mut Problems| {
        let value = sec.opt(key, p, reader::duration)?;
        if value < min {
            let message = format!("must be at least \"{}d\" ({why})", min.as_secs() / DAY);
            p.error(sec.get(key)?, &sec.path(key), message);
            return None;
        }
        Some(value)
    };
    let hourly = "the domain page shows 7 days of hourly roll-ups";
    let daily = "the domain page shows a 30-day uptime";
    Rollups {
        hourly_retention: retention("hourly_retention", MIN_HOURLY_RETENTION, hourly, p)
            .unwrap_or(DEFAULT_HOURLY_RETENTION),
        daily_retention: retention("daily_retention", MIN_DAILY_RETENTION, daily, p)
            .unwrap_or(DEFAULT_DAILY_RETENTION),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::{ConfigError, LoadOptions, load_str};

    /// A valid config with `rollups` (indented under `general`) from line 12.
    fn config(rollups: &str) -> String {
        format!(
            "general:\n  db:\n    url: \"sqlite:///argos.db\"\n  cookie_secret: \"0123456789abcdef\"\n  frequency: \"5m\"\n  alerts:\n    ok: [local]\n    warning: [local]\n    critical: [local]\n    unknown: [local]\n    no_agent: [local]\n{rollups}service:\n  secrets: [t]\nssl:\n  thresholds:\n    - \"1d\": critical\nrecurring_tasks:\n  max_results_age: \"1d\"\n  max_lock_seconds: 100\n  time_without_agent: 5\nwebsites: []\n"
        )
    }

    fn load(text: &str) -> Result<crate::config::Config, ConfigError> {
        load_str(text, Path::new("config.yaml"), &LoadOptions::default())
    }

    #[test]
    fn defaults_and_values() {
        let c = load(&config("")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.general.rollups, Rollups::default());
        let c = load(&config(
            "  rollups:\n    hourly_retention: \"2w\"\n    daily_retention: \"2y\"\n",
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.general.rollups.hourly_retention.as_secs(), 14 * DAY);
        assert_eq!(c.general.rollups.daily_retention.as_secs(), 732 * DAY);
    }

    #[test]
    fn broken_values_name_file_line_and_path() {
        let cases = [
            (
                "  rollups:\n    hourly_retention: \"1d\"\n",
                13,
                "general.rollups.hourly_retention",
                "must be at least \"7d\"",
            ),
            (
                "  rollups:\n    daily_retention: 30\n",
                13,
                "general.rollups.daily_retention",
                "needs a unit",
            ),
            (
                "  rollups:\n    hourly_retention: \"30d\"\n    daily_retention: \"1w\"\n",
                14,
                "general.rollups.daily_retention",
                "at least \"30d\"",
            ),
            (
                "  rollups: \"30d\"\n",
                12,
                "general.rollups",
                "expected a mapping",
            ),
        ];
        for (rollups, line, path, message) in cases {
            let Err(ConfigError::Invalid(problems)) = load(&config(rollups)) else {
                panic!("{rollups:?} loaded");
            };
            let e = &problems[0];
            assert_eq!(
                (e.file.as_path(), e.line, e.path.as_str()),
                (Path::new("config.yaml"), line, path),
                "{e}"
            );
            assert!(e.message.contains(message), "{e}");
        }
    }
}
