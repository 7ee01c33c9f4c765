//! From the validated config to the desired set of tasks (reference §3.1).
//!
//! One task per (url, method, request data, check, expected, IP version); a tuple that appears
//! twice keeps its first occurrence. Each task gets a stable `key` (its identity) so that a
//! reload is a diff by key, and a `task_group`: tasks sending the same request share it, and
//! the agent sends that request once. For `http-to-https` the group is built from the `http://`
//! URL actually requested, so all such checks of one URL share one plain-HTTP request.

use std::collections::HashSet;

use argos_checks::wire::group_key;
use argos_checks::{Check, IpVersion};
use sha2::{Digest, Sha256};

use crate::config::{Config, PathConfig, Recipient, Website};
use crate::store::TaskSpec;

/// Every task the config asks for, in config order, without duplicates.
pub fn plan(cfg: &Config) -> Vec<TaskSpec> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for site in &cfg.websites {
        for ip in families(site) {
            for path in &site.paths {
                for check in &path.checks {
                    let spec = task_spec(site, path, check, ip);
                    if seen.insert(spec.key.clone()) {
                        out.push(spec);
                    }
                }
            }
        }
    }
    out
}

fn families(site: &Website) -> Vec<IpVersion> {
    let mut v = Vec::with_capacity(2);
    if site.ipv4 {
        v.push(IpVersion::V4);
    }
    if site.ipv6 {
        v.push(IpVersion::V6);
    }
    v
}

fn task_spec(site: &Website, path: &PathConfig, check: &Check, ip: IpVersion) -> TaskSpec {
    let url = path.url.as_str();
    let request_data = path.request_data.as_ref().map(|d| d.to_text());
    let expected = check.expected();
    let requested = check.request_url(&path.url);
    TaskSpec {
        key: identity(&[
            url,
            path.method.as_str(),
            request_data.as_deref().unwrap_or("\u{0}none"),
            check.name(),
            &expected,
            ip.as_str(),
        ]),
        task_group: group_key(path.method, ip, requested.as_str(), request_data.as_deref()),
        domain: site.domain.to_string(),
        netloc: netloc(&path.url),
        url: url.to_owned(),
        method: path.method,
        request_data,
        check: check.name().to_owned(),
        expected,
        ip_version: ip,
        frequency_s: site.frequency.as_secs_f64(),
        recheck_delay_s: site.recheck_delay.map(|d| d.as_secs_f64()),
        retry_before_notification: i32::try_from(site.retry_before_notification)
            .unwrap_or(i32::MAX),
        add_alerts_recipients: recipients_text(
            Some(&site.add_alerts_recipients).filter(|r| !r.is_empty()),
        ),
        overwrite_alerts_recipients: recipients_text(site.overwrite_alerts_recipients.as_ref()),
    }
}

/// `host[:port]` of a URL: what the pages group tasks by (reference §5.5).
pub fn netloc(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    }
}

/// Hex SHA-256 of the parts, NUL-separated so that no two tuples collide by concatenation.
fn identity(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A JSON list of channel names, as the reference stores recipients in a task.
fn recipients_text(list: Option<&Vec<Recipient>>) -> Option<String> {
    let names: Vec<String> = list?.iter().map(Recipient::to_string).collect();
    Some(serde_json::to_string(&names).expect("a list of strings serialises"))
}
