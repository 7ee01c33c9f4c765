//! `websites[]` (reference §1.8): a domain, its overrides of the general defaults, and paths.
//!
//! Overrides fall back to `general` only when absent. The reference's "falsy" fallback
//! (`frequency: "0m"` silently meaning "the general value") is gone: an explicit value is
//! honoured, and a zero frequency or re-check delay is an error like any zero duration.
//!
//! A domain is an `http://` or `https://` URL, or (ours) `tcp://host:port` for a service that
//! does not speak HTTP, checked with `port-open` and `dns-resolves`.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::alerts::{self, Channels, Recipient};
use super::general::{General, retries, threshold};
use super::paths::{self, PathConfig, Site};
use super::problem::Problems;
use super::reader::{self, Section, index};
use super::yaml::{Node, Value};

const KEYS: &[&str] = &[
    "domain",
    "ipv4",
    "ipv6",
    "frequency",
    "recheck_delay",
    "retry_before_notification",
    "add_alerts_recipients",
    "overwrite_alerts_recipients",
    "recovery_threshold",
    "reminder_interval",
    "paths",
];

/// One monitored website, with the general defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Website {
    /// Normalised: `https://example.org` becomes `https://example.org/`; or `tcp://host:port`.
    pub domain: url::Url,
    /// Check over IPv4.
    pub ipv4: bool,
    /// Check over IPv6.
    pub ipv6: bool,
    /// Check period.
    pub frequency: Duration,
    /// Delay of the one early re-check after a non-ok result.
    pub recheck_delay: Option<Duration>,
    /// Extra consecutive failures needed before notifying.
    pub retry_before_notification: u32,
    /// Extra recipients for every severity of this website's alerts.
    pub add_alerts_recipients: Vec<Recipient>,
    /// Replaces the per-severity routing; `Some(vec![])` means "no notifications at all".
    pub overwrite_alerts_recipients: Option<Vec<Recipient>>,
    /// Consecutive ok results confirming a recovery.
    pub recovery_threshold: u32,
    /// Remind every so often while a task stays not ok.
    pub reminder_interval: Option<Duration>,
    /// What to request on this website (never empty).
    pub paths: Vec<PathConfig>,
    /// Where the website is written (an included file when it comes from `!include`).
    pub file: Arc<Path>,
    /// Line of the website's item in `file`.
    pub line: usize,
}

impl Website {
    /// False when both IP versions are off: such a website produces no task.
    pub fn is_checked(&self) -> bool {
        self.ipv4 || self.ipv6
    }
}

/// What every website is read against: the general defaults, the channels recipients may
/// name, and the lease (`recurring_tasks.max_lock_seconds`) that bounds a path's `timeout`.
pub(crate) struct Defaults<'a> {
    pub general: &'a General,
    pub channels: &'a Channels,
    pub lease: Duration,
}

pub(crate) fn read_websites(
    node: &Node,
    defaults: &Defaults<'_>,
    p: &mut Problems,
) -> Vec<Website> {
    let Some(items) = reader::list(node, "websites", p) else {
        return Vec::new();
    };
    reader::exact(
        items
            .iter()
            .enumerate()
            .filter_map(|(i, n)| read_website(n, &index("websites", i), defaults, p)),
    )
}

fn read_website(
    node: &Node,
    path: &str,
    defaults: &Defaults<'_>,
    p: &mut Problems,
) -> Option<Website> {
    let (general, channels) = (defaults.general, defaults.channels);
    let sec = open_website(node, path, p)?;
    let domain = sec.req("domain", p, site_url);
    let recipients = |key: &str, p: &mut Problems| {
        sec.get(key)
            .and_then(|n| alerts::recipients(n, &sec.path(key), channels, p))
    };
    let add_alerts_recipients = recipients("add_alerts_recipients", p).unwrap_or_default();
    let overwrite_alerts_recipients = recipients("overwrite_alerts_recipients", p);
    let ipv4 = sec.opt("ipv4", p, reader::boolean).unwrap_or(general.ipv4);
    let ipv6 = sec.opt("ipv6", p, reader::boolean).unwrap_or(general.ipv6);
    if !ipv4 && !ipv6 {
        p.warn(
            node,
            path,
            "ipv4 and ipv6 are both false: this website will not be checked",
        );
    }
    // Everything is read (and reported) before giving up on a website without a valid domain.
    Some(Website {
        ipv4,
        ipv6,
        frequency: sec
            .opt("frequency", p, reader::period)
            .unwrap_or(general.frequency),
        recheck_delay: sec
            .opt("recheck_delay", p, reader::period)
            .or(general.recheck_delay),
        retry_before_notification: sec
            .opt("retry_before_notification", p, retries)
            .unwrap_or(general.retry_before_notification),
        add_alerts_recipients,
        overwrite_alerts_recipients,
        recovery_threshold: sec
            .opt("recovery_threshold", p, threshold)
            .unwrap_or(general.recovery_threshold),
        reminder_interval: sec
            .opt("reminder_interval", p, reader::period)
            .or(general.reminder_interval),
        paths: read_paths(&sec, domain.as_ref(), defaults.lease, p),
        domain: domain?,
        file: Arc::clone(&node.file),
        line: node.line,
    })
}

fn read_paths(
    sec: &Section<'_>,
    domain: Option<&url::Url>,
    lease: Duration,
    p: &mut Problems,
) -> Vec<PathConfig> {
    let path = sec.path("paths");
    let Some(node) = sec.required("paths", p) else {
        return Vec::new();
    };
    let Some(items) = reader::list(node, &path, p) else {
        return Vec::new();
    };
    if items.is_empty() {
        p.error(node, &path, "a website needs at least one path");
    }
    reader::exact(
        items
            .iter()
            .enumerate()
            .filter_map(|(j, n)| paths::read_path(n, &index(&path, j), Site { domain, lease }, p)),
    )
}

/// An absolute http(s) URL with a host, or `tcp://host:port` (nothing after the port).
fn site_url(node: &Node, path: &str, p: &mut Problems) -> Option<url::Url> {
    let text = reader::non_empty(node, path, p)?;
    let url = match url::Url::parse(text.trim()) {
        Ok(url) => url,
        Err(e) => {
            p.error(node, path, format!("{text:?} is not a valid URL: {e}"));
            return None;
        }
    };
    let problem = match url.scheme() {
        "http" | "https" if url.host().is_some() => return Some(url),
        "tcp" if url.host().is_none() || url.port().is_none() => {
            Some("a tcp:// domain needs a host and a port, e.g. \"tcp://mail.example.org:25\"")
        }
        "tcp"
            if !matches!(url.path(), "" | "/")
                || url.query().is_some()
                || url.fragment().is_some() =>
        {
            Some("a tcp:// domain is only a host and a port, e.g. \"tcp://mail.example.org:25\"")
        }
        "tcp" => return Some(url),
        _ => None,
    };
    let message = match problem {
        Some(why) => format!("{text:?}: {why}"),
        None => format!(
            "{text:?} must be an http://, https:// or tcp:// URL (got scheme {:?})",
            url.scheme()
        ),
    };
    p.error(node, path, message);
    None
}

fn open_website<'a>(node: &'a Node, path: &str, p: &mut Problems) -> Option<Section<'a>> {
    if let Value::Seq(_) = node.value {
        let message = "expected a website (a mapping), got a list; with a glob `!include`, \
                       each file holds one website, not a list";
        p.error(node, path, message);
        return None;
    }
    let sec = Section::new(node, path, KEYS, p);
    sec.node().map(|_| sec)
}
