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

/// One alert destination, written `local`, `mail`, `gotify` or `apprise:<group>`.
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
}

impl std::fmt::Display for Recipient {
    /// The config spelling, also stored in tasks as the reference does.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Recipient::Local => f.write_str("local"),
            Recipient::Mail => f.write_str("mail"),
            Recipient::Gotify => f.write_str("gotify"),
            Recipient::Apprise(group) => write!(f, "apprise:{group}"),
        }
    }
}

/// Which channels exist, to check recipients against.
pub(crate) struct Channels {
    pub mail: bool,
    pub gotify: bool,
    pub apprise: Option<BTreeMap<String, Vec<String>>>,
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
        _ => match text.strip_prefix("apprise:") {
            Some(group) => (
                Recipient::Apprise(group.to_owned()),
                missing_group(group, channels),
            ),
            None => {
                let hint = did_you_mean(&text, &["local", "mail", "gotify"])
                    .map(|s| format!(" (did you mean {s:?}?)"));
                let message = format!(
                    "unknown recipient {text:?}{} (valid: local, mail, gotify, apprise:<group>)",
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

fn missing_group(group: &str, channels: &Channels) -> Option<String> {
    let groups = match &channels.apprise {
        Some(groups) if groups.contains_key(group) => return None,
        Some(groups) => groups
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        None => {
            return Some(format!(
                "apprise group {group:?} needs a general.apprise section defining it"
            ));
        }
    };
    Some(format!(
        "apprise group {group:?} is not defined in general.apprise (defined groups: {groups})"
    ))
}
