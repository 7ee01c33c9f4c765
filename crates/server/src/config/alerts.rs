//! Alert routing: `general.alerts` and a website's `*_alerts_recipients`, lists of channels
//! written `local`, `mail`, `gotify` or `apprise:<group>`.
//!
//! Unlike the reference, a recipient is checked against the configured channels when the
//! config is loaded: `mail` without `general.mail`, or `apprise:team` without that group,
//! is a problem at its line instead of a failure when the first alert is sent.

use std::collections::BTreeMap;

use super::problem::{Problems, did_you_mean};
use super::reader::{self, Section, index};
use super::yaml::Node;

/// Where alerts of one kind go, per severity, plus the "no agent seen" alert.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Alerts {
    /// A task came back to ok.
    pub ok: Vec<Recipient>,
    /// A task became warning.
    pub warning: Vec<Recipient>,
    /// A task became critical.
    pub critical: Vec<Recipient>,
    /// A task became unknown.
    pub unknown: Vec<Recipient>,
    /// Recipients of the alert sent when no agent has reported for a while.
    pub no_agent: Vec<Recipient>,
}

/// One alert destination, written `local`, `mail`, `gotify`, or `<kind>:<name>` for a named
/// channel: `apprise:<group>`, `ntfy:<name>`, `webhook:<name>`, `matrix:<name>`,
/// `slack:<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Recipient {
    /// A line in the server log.
    Local,
    /// Every address of `general.mail`.
    Mail,
    /// Every server × token of `general.gotify`.
    Gotify,
    /// The Apprise URLs of this `general.apprise` group.
    Apprise(String),
    /// This `general.ntfy` topic.
    Ntfy(String),
    /// This `general.webhooks` endpoint.
    Webhook(String),
    /// This `general.matrix` room.
    Matrix(String),
    /// This `general.slack` incoming webhook.
    Slack(String),
}

/// A named channel kind: the recipient prefix, its constructor and the `general` section.
type NamedKind = (&'static str, fn(String) -> Recipient, &'static str);

/// Every named channel kind.
const NAMED: [NamedKind; 5] = [
    ("apprise", Recipient::Apprise, "apprise"),
    ("ntfy", Recipient::Ntfy, "ntfy"),
    ("webhook", Recipient::Webhook, "webhooks"),
    ("matrix", Recipient::Matrix, "matrix"),
    ("slack", Recipient::Slack, "slack"),
];

impl std::fmt::Display for Recipient {
    /// The config spelling, also stored in tasks as the reference does.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Recipient::Local => f.write_str("local"),
            Recipient::Mail => f.write_str("mail"),
            Recipient::Gotify => f.write_str("gotify"),
            Recipient::Apprise(n) => write!(f, "apprise:{n}"),
            Recipient::Ntfy(n) => write!(f, "ntfy:{n}"),
            Recipient::Webhook(n) => write!(f, "webhook:{n}"),
            Recipient::Matrix(n) => write!(f, "matrix:{n}"),
            Recipient::Slack(n) => write!(f, "slack:{n}"),
        }
    }
}

/// Which channels exist, to check recipients against: `mail` and `gotify` when their
/// sections are present, and the names defined in each named section (by prefix).
#[derive(Debug, Default)]
pub(crate) struct Channels {
    pub mail: bool,
    pub gotify: bool,
    /// Prefix (`apprise`, `webhook`, ...) → defined names; absent: no such section.
    pub named: BTreeMap<&'static str, Vec<String>>,
}

const SEVERITIES: [&str; 5] = ["ok", "warning", "critical", "unknown", "no_agent"];

pub(crate) fn read_alerts(
    node: &Node,
    path: &str,
    channels: &Channels,
    p: &mut Problems,
) -> Alerts {
    let sec = Section::new(node, path, &SEVERITIES, p);
    let mut lists = SEVERITIES.map(|key| match sec.required(key, p) {
        Some(n) => recipients(n, &sec.path(key), channels, p).unwrap_or_default(),
        None => Vec::new(),
    });
    let mut take = |i: usize| std::mem::take(&mut lists[i]);
    Alerts {
        ok: take(0),
        warning: take(1),
        critical: take(2),
        unknown: take(3),
        no_agent: take(4),
    }
}

/// A list of recipients; bad entries are reported one by one and left out.
pub(crate) fn recipients(
    node: &Node,
    path: &str,
    channels: &Channels,
    p: &mut Problems,
) -> Option<Vec<Recipient>> {
    let items = reader::list(node, path, p)?;
    Some(
        items
            .iter()
            .enumerate()
            .filter_map(|(i, n)| recipient(n, &index(path, i), channels, p))
            .collect(),
    )
}

fn recipient(node: &Node, path: &str, channels: &Channels, p: &mut Problems) -> Option<Recipient> {
    let text = reader::string(node, path, p)?;
    let (recipient, missing) = match text.as_str() {
        "local" => (Recipient::Local, None),
        "mail" => (
            Recipient::Mail,
            (!channels.mail).then(|| "`mail` needs a general.mail section".to_owned()),
        ),
        "gotify" => (
            Recipient::Gotify,
            (!channels.gotify).then(|| "`gotify` needs a general.gotify section".to_owned()),
        ),
        _ => match named(&text) {
            Some((prefix, make, section, name)) => (
                make(name.to_owned()),
                missing_name(prefix, section, name, channels),
            ),
            None => {
                let hint = did_you_mean(&text, &["local", "mail", "gotify"])
                    .map(|s| format!(" (did you mean {s:?}?)"));
                let message = format!(
                    "unknown recipient {text:?}{} (valid: local, mail, gotify, apprise:<group>, \
                     ntfy:<name>, webhook:<name>, matrix:<name>, slack:<name>)",
                    hint.unwrap_or_default()
                );
                p.error(node, path, message);
                return None;
            }
        },
    };
    match missing {
        Some(message) => {
            p.error(node, path, message);
            None
        }
        None => Some(recipient),
    }
}

type Named<'t> = (&'static str, fn(String) -> Recipient, &'static str, &'t str);

/// `webhook:ops` → its prefix, constructor, section and name.
fn named(text: &str) -> Option<Named<'_>> {
    let (prefix, name) = text.split_once(':')?;
    NAMED
        .iter()
        .find(|(p, _, _)| *p == prefix)
        .map(|&(p, make, section)| (p, make, section, name))
}

fn missing_name(prefix: &str, section: &str, name: &str, channels: &Channels) -> Option<String> {
    // The reference's wording for Apprise ("group"); a "name" for the others.
    let what = if prefix == "apprise" {
        "apprise group"
    } else {
        prefix
    };
    let Some(defined) = channels.named.get(prefix) else {
        return Some(format!(
            "{what} {name:?} needs a general.{section} section defining it"
        ));
    };
    if defined.iter().any(|d| d == name) {
        return None;
    }
    let kind = if prefix == "apprise" {
        "groups"
    } else {
        "names"
    };
    Some(format!(
        "{what} {name:?} is not defined in general.{section} (defined {kind}: {})",
        defined.join(", ")
    ))
}
