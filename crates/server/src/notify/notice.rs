//! What a message says, before any channel shapes it: a title, a plain-text and a Markdown
//! body, the worst severity (for priorities), the main link, and the alerts as data (for the
//! webhook). Built by the notifier from the alerts it claimed for one channel:
//! - one alert: the reference's format (§6.4);
//! - several alerts of one domain: one message listing them;
//! - many domains at once: one summary (the storm threshold is the notifier's);
//! - a system alert (no agent, agent back, test): its own sentence.
//!
//! Links only come from `general.public_url`; without it, messages carry none.

use std::fmt::Write as _;

use argos_checks::Severity;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::store::{AlertKind, AlertRecord};

/// Alerts listed in full in a summary; the rest are counted.
pub const SUMMARY_LINES: usize = 50;

/// What kind of message this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoticeKind {
    /// Alerts of one domain.
    Alert,
    /// Alerts of many domains at once.
    Summary,
    /// No agent seen.
    NoAgent,
    /// An agent is back.
    AgentBack,
    /// A test message.
    Test,
}

/// One alert as messages show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    /// The alert's id (stable across retries: receivers may deduplicate on it).
    pub id: i64,
    /// Change or reminder.
    pub kind: AlertKind,
    /// `host[:port]`.
    pub domain: String,
    /// The URL checked.
    pub url: String,
    /// The check's name.
    pub check: String,
    /// `4` or `6`.
    pub ip_version: String,
    /// What people were told before.
    pub previous: Option<Severity>,
    /// The severity now.
    pub severity: Severity,
    /// Since when.
    pub since: DateTime<Utc>,
    /// When the alert was raised.
    pub at: DateTime<Utc>,
    /// What went wrong, when the agent said.
    pub detail: Option<String>,
    /// The result page, with a public URL.
    pub result_url: Option<String>,
    /// The task's history page, with a public URL.
    pub task_url: Option<String>,
}

/// A message, channel-neutral.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notice {
    /// What it is.
    pub kind: NoticeKind,
    /// One line, without the `[Argos]` prefix that mail and Apprise add.
    pub title: String,
    /// Plain text.
    pub text: String,
    /// Markdown (Gotify, ntfy, Matrix, chat webhooks).
    pub markdown: String,
    /// The worst severity among the alerts (for priorities and colours).
    pub severity: Severity,
    /// The page to open, with a public URL.
    pub link: Option<String>,
    /// The alerts, for receivers that want data.
    pub items: Vec<Item>,
}

/// `✅`, `⚠️`, `❔` or `❌`, as in the reference.
pub fn icon(s: Severity) -> &'static str {
    match s {
        Severity::Ok => "✅",
        Severity::Warning => "⚠️",
        Severity::Unknown => "❔",
        Severity::Critical => "❌",
    }
}

impl Notice {
    /// The message for `alerts` (at least one), all of one domain, or all system alerts.
    pub fn for_alerts(alerts: &[&AlertRecord], base: Option<&url::Url>) -> Notice {
        let items: Vec<Item> = alerts.iter().map(|a| item(a, base)).collect();
        match (alerts, items.as_slice()) {
            ([a], _) if !a.kind.is_task() => system(a, base),
            (_, [one]) => single(one),
            _ => domain_group(items),
        }
    }

    /// One message for many domains' alerts.
    pub fn summary(alerts: &[&AlertRecord], base: Option<&url::Url>) -> Notice {
        let items: Vec<Item> = alerts.iter().map(|a| item(a, base)).collect();
        let mut domains: Vec<&str> = items.iter().map(|i| i.domain.as_str()).collect();
        domains.sort_unstable();
        domains.dedup();
        let worst = worst(&items);
        let title = format!(
            "{} {} domains changed: {}",
            icon(worst),
            domains.len(),
            counts(&items)
        );
        let mut text = String::new();
        for i in items.iter().take(SUMMARY_LINES) {
            let _ = writeln!(text, "{}", one_line(i));
        }
        if items.len() > SUMMARY_LINES {
            let _ = writeln!(text, "… and {} more.", items.len() - SUMMARY_LINES);
        }
        let link = page(base, "alerts");
        if let Some(l) = &link {
            let _ = write!(text, "\nAll alerts: {l}\n");
        }
        Notice {
            kind: NoticeKind::Summary,
            markdown: markdown_lines(&text),
            title,
            text,
            severity: worst,
            link,
            items,
        }
    }
}

fn item(a: &AlertRecord, base: Option<&url::Url>) -> Item {
    Item {
        id: a.id,
        kind: a.kind,
        domain: a.netloc.clone().unwrap_or_default(),
        url: a.url.clone().unwrap_or_default(),
        check: a.check.clone().unwrap_or_default(),
        ip_version: a
            .ip_version
            .map(|v| v.as_str().to_owned())
            .unwrap_or_default(),
        previous: a.previous,
        severity: a.severity,
        since: a.since,
        at: a.created_at,
        detail: a.detail.clone(),
        result_url: a.result_id.and_then(|r| page(base, &format!("result/{r}"))),
        task_url: match (a.task_id, a.result_id) {
            (Some(t), r) => page(base, &format!("task/{t}/results"))
                .map(|u| r.map_or(u.clone(), |r| format!("{u}#{r}"))),
            _ => None,
        },
    }
}

/// `<public_url>/<path>`.
pub(crate) fn page(base: Option<&url::Url>, path: &str) -> Option<String> {
    let base = base?.as_str().trim_end_matches('/');
    Some(format!("{base}/{path}"))
}

fn headline(i: &Item) -> String {
    let what = match i.kind {
        AlertKind::Reminder => format!("still {}", i.severity),
        _ => format!("status {}", i.severity),
    };
    format!(
        "{} {} (IPv{}): {what}",
        icon(i.severity),
        i.domain,
        i.ip_version
    )
}

/// The reference's mail body for one alert, plus the detail and, for reminders, since when.
fn block(i: &Item) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "URL:    {} (IPv{})", i.url, i.ip_version);
    let _ = writeln!(t, "Check:  {}", i.check);
    let _ = writeln!(t, "Status: {}", i.severity);
    let _ = writeln!(t, "Time:   {}", i.at.format("%Y-%m-%d %H:%M:%S UTC"));
    if let Some(prev) = i.previous {
        let _ = writeln!(t, "Previous status: {prev}");
    }
    if i.kind == AlertKind::Reminder {
        let _ = writeln!(t, "Since:  {}", i.since.format("%Y-%m-%d %H:%M:%S UTC"));
    }
    if let Some(d) = &i.detail {
        let _ = writeln!(t, "Detail: {d}");
    }
    if let Some(r) = &i.result_url {
        let _ = write!(t, "\nSee result on {r}\n");
    }
    if let Some(task) = &i.task_url {
        let _ = write!(t, "\nSee results of task on {task}\n");
    }
    t
}

fn single(i: &Item) -> Notice {
    let text = block(i);
    Notice {
        kind: NoticeKind::Alert,
        title: headline(i),
        markdown: markdown_lines(&text),
        text,
        severity: i.severity,
        link: i.result_url.clone(),
        items: vec![i.clone()],
    }
}

fn domain_group(items: Vec<Item>) -> Notice {
    let worst = worst(&items);
    let domain = items[0].domain.clone();
    let title = format!("{} {domain}: {}", icon(worst), counts(&items));
    let blocks: Vec<String> = items
        .iter()
        .map(|i| format!("{}\n{}", headline(i), block(i)))
        .collect();
    let text = blocks.join("\n----\n\n");
    Notice {
        kind: NoticeKind::Alert,
        markdown: markdown_lines(&text),
        title,
        text,
        severity: worst,
        link: items.iter().find_map(|i| i.result_url.clone()),
        items,
    }
}

fn system(a: &AlertRecord, base: Option<&url::Url>) -> Notice {
    let (kind, title) = match a.kind {
        AlertKind::NoAgent => (NoticeKind::NoAgent, no_agent_title(a)),
        AlertKind::AgentBack => (NoticeKind::AgentBack, "An Argos agent is back".to_owned()),
        _ => (NoticeKind::Test, format!("{} Test alert", icon(a.severity))),
    };
    let mut text = a.detail.clone().unwrap_or_default();
    let link = page(base, "agents");
    if let (Some(l), NoticeKind::NoAgent | NoticeKind::AgentBack) = (&link, kind) {
        let _ = write!(text, "\n\nAgents: {l}");
    }
    text.push('\n');
    Notice {
        kind,
        markdown: markdown_lines(&text),
        title,
        text,
        severity: a.severity,
        link,
        items: Vec::new(),
    }
}

/// The reference's subject: "No agent has been seen within the last N minutes".
fn no_agent_title(a: &AlertRecord) -> String {
    let minutes = (a.created_at - a.since).num_minutes().max(1);
    if minutes <= 1 {
        "No agent has been seen within the last minute".to_owned()
    } else {
        format!("No agent has been seen within the last {minutes} minutes")
    }
}

/// `example.org (IPv4) status-is: ok → critical`.
fn one_line(i: &Item) -> String {
    let change = match (i.kind, i.previous) {
        (AlertKind::Reminder, _) => format!("still {}", i.severity),
        (_, Some(p)) => format!("{p} → {}", i.severity),
        (_, None) => i.severity.to_string(),
    };
    format!(
        "{} {} (IPv{}) {}: {change}",
        icon(i.severity),
        i.domain,
        i.ip_version,
        i.check
    )
}

fn worst(items: &[Item]) -> Severity {
    items
        .iter()
        .map(|i| i.severity)
        .max_by_key(|s| s.rank())
        .unwrap_or(Severity::Ok)
}

/// `2 critical, 1 ok`, worst first.
fn counts(items: &[Item]) -> String {
    let mut by: Vec<(Severity, usize)> = Severity::ALL
        .iter()
        .map(|&s| (s, items.iter().filter(|i| i.severity == s).count()))
        .filter(|(_, n)| *n > 0)
        .collect();
    by.sort_by_key(|(s, _)| std::cmp::Reverse(s.rank()));
    let parts: Vec<String> = by.iter().map(|(s, n)| format!("{n} {s}")).collect();
    parts.join(", ")
}

/// Markdown with the reference's hard line breaks (a trailing backslash) and links in `<>`.
fn markdown_lines(text: &str) -> String {
    let link = |w: &str| {
        if w.starts_with("http://") || w.starts_with("https://") {
            format!("<{w}>")
        } else {
            w.to_owned()
        }
    };
    text.lines()
        .map(|l| {
            let l = l.split(' ').map(link).collect::<Vec<_>>().join(" ");
            if l.is_empty() { l } else { format!("{l}\\") }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
