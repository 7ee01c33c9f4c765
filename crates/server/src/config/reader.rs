//! Typed access to the [`Node`] tree that records a problem instead of failing.
//!
//! Every getter returns `Option`: `None` means "absent" or "invalid (already reported)". The
//! section readers then fall back to a default or a placeholder and carry on, so one run
//! reports every problem; [`load`](super::load) refuses the config if any error was recorded,
//! so placeholders never reach a caller.
//!
//! A key written with no value (`recheck_delay:`) counts as absent, as in the reference where
//! such keys are optional.

use std::time::Duration;

use super::duration;
use super::problem::Problems;
use super::yaml::{Entry, Node, Value};

/// `parent.key` (or `key` at the root).
pub(crate) fn field(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// `parent[i]`.
pub(crate) fn index(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

/// A conversion of one node: reports and returns `None` when the node does not fit.
pub(crate) type Convert<T> = fn(&Node, &str, &mut Problems) -> Option<T>;

/// A mapping being read. Unknown keys are reported when it is opened.
pub(crate) struct Section<'a> {
    node: Option<&'a Node>,
    entries: &'a [Entry],
    path: String,
}

impl<'a> Section<'a> {
    /// Opens `node` as a mapping whose keys must be among `known`. Anything but a mapping is
    /// reported and gives a silent, empty section (so no "missing key" noise follows).
    pub(crate) fn new(node: &'a Node, path: &str, known: &[&str], p: &mut Problems) -> Section<'a> {
        let Value::Map(entries) = &node.value else {
            p.error(
                node,
                path,
                format!("expected a mapping, got {}", node.kind()),
            );
            return Section::silent(path);
        };
        for entry in entries {
            if !known.contains(&entry.key.as_str()) {
                // The key is in the mapping's file (its value may come from an `!include`).
                p.unknown_key(
                    &node.file,
                    entry.line,
                    &field(path, &entry.key),
                    &entry.key,
                    known,
                );
            }
        }
        Section {
            node: Some(node),
            entries,
            path: path.to_owned(),
        }
    }

    /// [`new`](Self::new) for a section that may be missing (already reported).
    pub(crate) fn open(
        node: Option<&'a Node>,
        path: &str,
        known: &[&str],
        p: &mut Problems,
    ) -> Section<'a> {
        match node {
            Some(node) => Section::new(node, path, known, p),
            None => Section::silent(path),
        }
    }

    /// A section that was already reported as missing or wrong: every key reads as absent.
    pub(crate) fn silent(path: &str) -> Section<'a> {
        Section {
            node: None,
            entries: &[],
            path: path.to_owned(),
        }
    }

    /// The mapping node itself, when there is one.
    pub(crate) fn node(&self) -> Option<&'a Node> {
        self.node
    }

    /// The config path of `key` in this section.
    pub(crate) fn path(&self, key: &str) -> String {
        field(&self.path, key)
    }

    /// The value of `key`, unless absent or null.
    pub(crate) fn get(&self, key: &str) -> Option<&'a Node> {
        self.entries
            .iter()
            .find(|e| e.key == key)
            .map(|e| &e.value)
            .filter(|n| n.value != Value::Null)
    }

    /// Like [`get`](Self::get), reporting a missing key at the mapping's line (or an empty
    /// one at its own line).
    pub(crate) fn required(&self, key: &str, p: &mut Problems) -> Option<&'a Node> {
        let found = self.get(key);
        if let (None, Some(map)) = (found, self.node) {
            match map.get(key) {
                // Written with no value: point at it.
                Some(empty) => p.error(
                    empty,
                    &self.path(key),
                    "has no value (this key is required)",
                ),
                None => p.error(map, &self.path(key), "missing (this key is required)"),
            }
        }
        found
    }

    /// An optional key converted by `convert`.
    pub(crate) fn opt<T>(&self, key: &str, p: &mut Problems, convert: Convert<T>) -> Option<T> {
        self.get(key).and_then(|n| convert(n, &self.path(key), p))
    }

    /// A required key converted by `convert`.
    pub(crate) fn req<T>(&self, key: &str, p: &mut Problems, convert: Convert<T>) -> Option<T> {
        self.required(key, p)
            .and_then(|n| convert(n, &self.path(key), p))
    }
}

pub(crate) fn string(node: &Node, path: &str, p: &mut Problems) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
            p.error(
                node,
                path,
                format!("expected a string, got {} (put it in quotes)", node.kind()),
            );
            None
        }
        _ => {
            p.error(
                node,
                path,
                format!("expected a string, got {}", node.kind()),
            );
            None
        }
    }
}

/// A string that must not be empty or blank.
pub(crate) fn non_empty(node: &Node, path: &str, p: &mut Problems) -> Option<String> {
    let s = string(node, path, p)?;
    if s.trim().is_empty() {
        p.error(node, path, "must not be empty");
        return None;
    }
    Some(s)
}

pub(crate) fn boolean(node: &Node, path: &str, p: &mut Problems) -> Option<bool> {
    match node.value {
        Value::Bool(b) => Some(b),
        _ => {
            p.error(
                node,
                path,
                format!("expected true or false, got {}", node.kind()),
            );
            None
        }
    }
}

/// An integer ≥ 0 that fits in a `u32`.
pub(crate) fn count(node: &Node, path: &str, p: &mut Problems) -> Option<u32> {
    let Value::Int(i) = node.value else {
        p.error(
            node,
            path,
            format!("expected a whole number, got {}", node.kind()),
        );
        return None;
    };
    let fits = u32::try_from(i).ok();
    if fits.is_none() {
        p.error(
            node,
            path,
            format!("must be between 0 and {}, got {i}", u32::MAX),
        );
    }
    fits
}

/// Any integer (range checks are the caller's).
pub(crate) fn integer(node: &Node, path: &str, p: &mut Problems) -> Option<i64> {
    match node.value {
        Value::Int(i) => Some(i),
        _ => {
            p.error(
                node,
                path,
                format!("expected a whole number, got {}", node.kind()),
            );
            None
        }
    }
}

/// A year as durations count it (`"1y"` is 366 days).
const YEAR: u64 = 366 * 86_400;
/// The longest duration any key takes (`"100y"`), and the bound of `max_results_age` and the
/// retentions. Far shorter than chrono's range (±262,000 years), so that adding it to any
/// time of this era cannot overflow: beyond it, a typo (`"1000000c"`) made date arithmetic
/// panic at run time.
pub const MAX_DURATION: Duration = Duration::from_secs(100 * YEAR);
/// The longest check period, re-check delay and reminder interval (`"1y"`).
pub const MAX_PERIOD: Duration = Duration::from_secs(YEAR);
/// The longest login session (`"10y"`).
pub const MAX_SESSION: Duration = Duration::from_secs(10 * YEAR);

/// A duration string greater than zero and at most [`MAX_DURATION`]. A YAML number gets a
/// message saying what to write (the reference crashed with a TypeError).
pub(crate) fn duration(node: &Node, path: &str, p: &mut Problems) -> Option<Duration> {
    at_most(node, path, p, MAX_DURATION, "100y")
}

/// [`duration`], at most [`MAX_PERIOD`]: `frequency`, `recheck_delay`, `reminder_interval`.
pub(crate) fn period(node: &Node, path: &str, p: &mut Problems) -> Option<Duration> {
    at_most(node, path, p, MAX_PERIOD, "1y")
}

/// [`duration`], at most [`MAX_SESSION`]: `session_duration`, `remember_me_duration`.
pub(crate) fn session(node: &Node, path: &str, p: &mut Problems) -> Option<Duration> {
    at_most(node, path, p, MAX_SESSION, "10y")
}

fn at_most(
    node: &Node,
    path: &str,
    p: &mut Problems,
    max: Duration,
    written: &str,
) -> Option<Duration> {
    let d = any_duration(node, path, p)?;
    if d > max {
        p.error(node, path, format!("must be at most \"{written}\""));
        return None;
    }
    Some(d)
}

/// A whole number from 0 to `max`.
pub(crate) fn count_up_to(node: &Node, path: &str, max: u32, p: &mut Problems) -> Option<u32> {
    let n = count(node, path, p)?;
    if n > max {
        p.error(node, path, format!("must be at most {max}, got {n}"));
        return None;
    }
    Some(n)
}

fn any_duration(node: &Node, path: &str, p: &mut Problems) -> Option<Duration> {
    let number = match &node.value {
        Value::Str(text) => return positive_duration(node, text, path, p),
        Value::Int(i) => i.to_string(),
        Value::Float(x) => x.to_string(),
        _ => {
            p.error(
                node,
                path,
                format!("expected a duration such as \"5m\", got {}", node.kind()),
            );
            return None;
        }
    };
    let message = format!(
        "a duration needs a unit: write \"{number}m\" for minutes (or \"{number}s\", \"{number}h\", \"{number}d\", ...)"
    );
    p.error(node, path, message);
    None
}

fn positive_duration(node: &Node, text: &str, path: &str, p: &mut Problems) -> Option<Duration> {
    match duration::parse(text) {
        Ok(d) if d.is_zero() => {
            p.error(
                node,
                path,
                format!("duration {text:?} must be greater than zero"),
            );
            None
        }
        Ok(d) => Some(d),
        Err(message) => {
            p.error(node, path, message);
            None
        }
    }
}

/// The items of a list (anything else is reported).
pub(crate) fn list<'a>(node: &'a Node, path: &str, p: &mut Problems) -> Option<&'a [Node]> {
    match &node.value {
        Value::Seq(items) => Some(items),
        _ => {
            p.error(node, path, format!("expected a list, got {}", node.kind()));
            None
        }
    }
}

/// The values read from a list's items, in a vector of their exact length. A config is held
/// for the server's whole life (two of them during a reload), and a `filter_map` collect
/// starts at 4 slots: 10,000 websites of one path each kept 30,000 empty path slots, 8 MB.
pub(crate) fn exact<T>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut v: Vec<T> = items.collect();
    v.shrink_to_fit();
    v
}

/// A list of strings; bad items are reported one by one and left out.
pub(crate) fn strings(node: &Node, path: &str, p: &mut Problems) -> Option<Vec<String>> {
    let items = list(node, path, p)?;
    Some(
        items
            .iter()
            .enumerate()
            .filter_map(|(i, n)| non_empty(n, &index(path, i), p))
            .collect(),
    )
}

/// A list item written `- <key>: <value>` (a check, an SSL threshold): its one entry. A map
/// with several keys (the reference silently dropped all but the first) or any other node is
/// a problem that shows the expected `form` and an `example`.
pub(crate) fn one_key_item<'a>(
    node: &'a Node,
    path: &str,
    what: &str,
    form: &str,
    example: &str,
    p: &mut Problems,
) -> Option<&'a Entry> {
    match &node.value {
        Value::Map(entries) if entries.len() == 1 => Some(&entries[0]),
        Value::Map(entries) => {
            let keys: Vec<&str> = entries.iter().map(|e| e.key.as_str()).collect();
            let message = format!(
                "one {what} per item (`- {form}`); this item has {} keys ({}): start each with its own `-`",
                keys.len(),
                keys.join(", ")
            );
            p.error(node, path, message);
            None
        }
        _ => {
            let message = format!("expected `{form}` (e.g. `{example}`), got {}", node.kind());
            p.error(node, path, message);
            None
        }
    }
}
