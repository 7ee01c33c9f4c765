//! From the validated config to the desired set of tasks (reference §3.1).
//!
//! One task per (url, method, request data, check, expected, IP version, request options); a
//! tuple that appears twice keeps its first occurrence. Each task gets a stable `key` (its
//! identity) so that a reload is a diff by key, and a `task_group`: tasks needing the same
//! probe share it, and the agent runs that probe once (see `argos_checks::group::task_group`:
//! for `http-to-https` the group is built from the `http://` URL actually requested; a
//! `dns-resolves` shares one lookup per host whatever the path).
//!
//! Request options are part of the identity only when a path sets some, so that the keys of a
//! config without options are those it had before options existed (no task is recreated,
//! no history lost, on upgrade). A check that is not an HTTP one keeps only the options its
//! probe uses, and neither method nor request data: they would only split its group.

use std::collections::HashSet;

use argos_checks::group::task_group;
use argos_checks::kind::ProbeKind;
use argos_checks::{Check, IpVersion, Method};
use sha2::{Digest, Sha256};

use crate::config::{Config, PathConfig, Recipient, Website};
use crate::store::TaskSpec;

/// Every task the config asks for, in config order, without duplicates.
pub fn plan(cfg: &Config) -> Vec<TaskSpec> {
    let mut seen = HashSet::new();
    specs(cfg)
        .filter(|spec| seen.insert(spec.key.clone()))
        .collect()
}

/// The tasks of [`plan`] made one at a time, for a sync to keep only those that change. A key
/// the config repeats comes again: the sync keeps its first occurrence, as [`plan`] does, so
/// the keys are not put in a second set on the way.
pub fn specs(cfg: &Config) -> impl Iterator<Item = TaskSpec> + Send + '_ {
    cfg.websites.iter().flat_map(|site| {
        families(site).into_iter().flat_map(move |ip| {
            site.paths.iter().flat_map(move |path| {
                path.checks
                    .iter()
                    .map(move |check| task_spec(site, path, check, ip))
            })
        })
    })
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
    let kind = check.probe_kind();
    let (method, request_data) = match kind {
        ProbeKind::Http => (path.method, path.request_data.as_ref().map(|d| d.to_text())),
        ProbeKind::Tcp | ProbeKind::Dns => (Method::Get, None),
    };
    let options = path.options.for_probe(kind);
    let request_options = options.map(|o| o.to_text());
    let expected = check.expected();
    let mut parts = vec![
        url,
        method.as_str(),
        request_data.as_deref().unwrap_or("\u{0}none"),
        check.name(),
        &expected,
        ip.as_str(),
    ];
    parts.extend(request_options.as_deref());
    TaskSpec {
        key: identity(&parts),
        task_group: task_group(
            check.name(),
            method,
            ip,
            &path.url,
            request_data.as_deref(),
            options.as_ref(),
        ),
        domain: site.domain.to_string(),
        netloc: netloc(&path.url),
        url: url.to_owned(),
        method,
        request_data,
        request_options,
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
    argos_checks::hex::encode(&h.finalize())
}

/// A JSON list of channel names, as the reference stores recipients in a task.
fn recipients_text(list: Option<&Vec<Recipient>>) -> Option<String> {
    let names: Vec<String> = list?.iter().map(Recipient::to_string).collect();
    Some(serde_json::to_string(&names).expect("a list of strings serialises"))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::{LoadOptions, load_str};

    fn tasks(websites: &str) -> Vec<TaskSpec> {
        let text = format!(
            "general:\n  db: {{url: \"sqlite:///argos.db\"}}\n  cookie_secret: \"0123456789abcdef\"\n  frequency: \"5m\"\n  ipv6: false\n  alerts: {{ok: [local], warning: [local], critical: [local], unknown: [local], no_agent: [local]}}\nservice: {{secrets: [t]}}\nssl: {{thresholds: [{{\"1d\": critical}}]}}\nrecurring_tasks: {{max_results_age: \"1d\", max_lock_seconds: 100, time_without_agent: 5}}\nwebsites:\n{websites}"
        );
        let cfg = load_str(&text, Path::new("c.yaml"), &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        plan(&cfg)
    }

    const PLAIN: &str = "  - domain: \"https://a.test\"\n    paths:\n      - path: \"/\"\n        checks: [{status-is: 200}]\n";

    #[test]
    fn a_path_without_options_keeps_the_keys_it_always_had() {
        let t = &tasks(PLAIN)[0];
        // The identity and group of the reference's fields only, as computed before options.
        let want = identity(&[
            "https://a.test/",
            "GET",
            "\u{0}none",
            "status-is",
            "200",
            "4",
        ]);
        assert_eq!(t.key, want);
        assert_eq!(
            t.task_group,
            argos_checks::wire::group_key(Method::Get, IpVersion::V4, "https://a.test/", None)
        );
        assert_eq!(t.request_options, None);
    }

    #[test]
    fn options_are_part_of_the_identity_and_the_group() {
        let with = PLAIN.replace("        checks", "        timeout: \"5s\"\n        checks");
        let (a, b) = (&tasks(PLAIN)[0], &tasks(&with)[0]);
        assert_ne!(a.key, b.key);
        assert_ne!(a.task_group, b.task_group);
        assert_eq!(b.request_options.as_deref(), Some(r#"{"timeout_ms":5000}"#));
    }

    #[test]
    fn dns_and_tcp_tasks_have_their_own_groups_and_no_http_parts() {
        let site = "  - domain: \"https://a.test\"\n    paths:\n      - path: \"/x\"\n        method: POST\n        follow_redirects: 2\n        checks: [{status-is: 200}, {dns-resolves: true}, {port-open: true}]\n      - path: \"/y\"\n        checks: [{dns-resolves: true}]\n";
        let t = tasks(site);
        let by = |check: &str| t.iter().filter(|s| s.check == check).collect::<Vec<_>>();
        let (http, dns, tcp) = (by("status-is"), by("dns-resolves"), by("port-open"));
        assert_eq!(http[0].method, Method::Post);
        assert!(http[0].request_options.is_some());
        assert_eq!(
            (dns.len(), dns[0].task_group.clone()),
            (2, dns[1].task_group.clone())
        );
        assert!(dns[0].task_group.starts_with("DNS-4-a.test-"));
        assert!(tcp[0].task_group.starts_with("TCP-4-a.test:443-"));
        assert_eq!(
            (tcp[0].method, tcp[0].request_options.as_deref()),
            (Method::Get, None)
        );
        let tcp_site = "  - domain: \"tcp://db.test:5432\"\n    paths:\n      - checks: [{port-open: false}]\n";
        let t = &tasks(tcp_site)[0];
        assert_eq!(
            (t.url.as_str(), t.netloc.as_str()),
            ("tcp://db.test:5432/", "db.test:5432")
        );
    }
}
