//! Readers shared by the notification channels' settings (each channel reads its own section
//! in `crate::notify::<channel>`): URLs, e-mail addresses, and named sections such as
//! `general.webhooks: {ops: {...}, team: {...}}`.

use std::collections::BTreeMap;

use super::problem::Problems;
use super::reader::{self, index};
use super::yaml::{Node, Value};

/// An absolute http(s) URL with a host. Messages never repeat it: a channel's URL may be its
/// secret (a Slack webhook) or carry one (`https://user:password@…`, `?token=…`).
pub(crate) fn http_url(node: &Node, path: &str, p: &mut Problems) -> Option<url::Url> {
    let text = reader::non_empty(node, path, p)?;
    match url::Url::parse(text.trim()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Some(url),
        Ok(url) => {
            p.error(
                node,
                path,
                format!(
                    "must be an http:// or https:// URL (got scheme {:?})",
                    url.scheme()
                ),
            );
            None
        }
        Err(e) => {
            p.error(node, path, format!("is not a valid URL: {e}"));
            None
        }
    }
}

/// Deliberately loose (`local@domain.tld`, no spaces): the SMTP server is the real judge,
/// this only catches a value in the wrong field.
pub(crate) fn email(node: &Node, path: &str, p: &mut Problems) -> Option<String> {
    let text = reader::string(node, path, p)?;
    let valid = match text.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !text.contains(char::is_whitespace)
        }
        None => false,
    };
    if !valid {
        p.error(node, path, format!("{text:?} is not an e-mail address"));
        return None;
    }
    Some(text)
}

/// A mapping of name → one channel's settings, each read by `read_one`. Names are what
/// `general.alerts` refers to (`webhook:<name>`), so they must be plain words.
pub(crate) fn named<T>(
    node: &Node,
    path: &str,
    p: &mut Problems,
    read_one: fn(&Node, &str, &mut Problems) -> Option<T>,
) -> BTreeMap<String, T> {
    let Value::Map(entries) = &node.value else {
        let message = format!(
            "expected a mapping of name → settings (e.g. `ops: {{url: ...}}`), got {}",
            node.kind()
        );
        p.error(node, path, message);
        return BTreeMap::new();
    };
    let mut out = BTreeMap::new();
    for entry in entries {
        let item_path = reader::field(path, &entry.key);
        if !is_name(&entry.key) {
            let message = format!(
                "{:?} is not a usable name: use letters, digits, `-` and `_`",
                entry.key
            );
            p.error(&entry.value, &item_path, message);
            continue;
        }
        if let Some(value) = read_one(&entry.value, &item_path, p) {
            out.insert(entry.key.clone(), value);
        }
    }
    out
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// `general.apprise`: group name → Apprise URLs.
pub(crate) fn read_apprise(
    node: &Node,
    path: &str,
    p: &mut Problems,
) -> BTreeMap<String, Vec<String>> {
    let Value::Map(entries) = &node.value else {
        p.error(
            node,
            path,
            format!(
                "expected a mapping of group name → list of Apprise URLs, got {}",
                node.kind()
            ),
        );
        return BTreeMap::new();
    };
    let mut groups = BTreeMap::new();
    for entry in entries {
        let group_path = reader::field(path, &entry.key);
        let items = reader::list(&entry.value, &group_path, p).unwrap_or_default();
        let urls = items
            .iter()
            .enumerate()
            .filter_map(|(i, n)| apprise_url(n, &index(&group_path, i), p))
            .collect();
        groups.insert(entry.key.clone(), urls);
    }
    groups
}

fn apprise_url(node: &Node, path: &str, p: &mut Problems) -> Option<String> {
    let url = reader::non_empty(node, path, p)?;
    if !url.contains("://") {
        p.error(
            node,
            path,
            // Not repeated: Apprise URLs carry their service's credentials.
            "is not an Apprise URL (<service>://...)",
        );
        return None;
    }
    Some(url)
}

/// A map of HTTP header name → value (extra headers of a webhook).
pub(crate) fn headers(node: &Node, path: &str, p: &mut Problems) -> Option<Vec<(String, String)>> {
    let Value::Map(entries) = &node.value else {
        p.error(
            node,
            path,
            format!("expected a mapping of header → value, got {}", node.kind()),
        );
        return None;
    };
    let mut out = Vec::new();
    for e in entries {
        let item_path = reader::field(path, &e.key);
        let valid_name = reqwest::header::HeaderName::from_bytes(e.key.as_bytes()).is_ok();
        let value = reader::string(&e.value, &item_path, p);
        match (valid_name, value) {
            (false, _) => p.error(
                &e.value,
                &item_path,
                format!("{:?} is not a valid header name", e.key),
            ),
            (true, Some(v)) if reqwest::header::HeaderValue::from_str(&v).is_err() => p.error(
                &e.value,
                &item_path,
                "not a valid header value (control characters?)",
            ),
            (true, Some(v)) => out.push((e.key.clone(), v)),
            (true, None) => {}
        }
    }
    Some(out)
}
