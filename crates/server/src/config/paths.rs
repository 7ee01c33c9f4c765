//! `websites[].paths[]`: the URL to request, how, and the checks to run on the response.
//!
//! Each check item is a one-key mapping `<check-name>: <expected>`, turned into an
//! [`argos_checks::Check`] by `Check::from_config`, so an unknown name or an unusable
//! expectation (a bad regex, ...) is reported here, at the item's line, instead of when the
//! agent first runs it. Unlike the reference, a mapping with several keys is an error (the
//! reference silently kept the first).
//!
//! A `tcp://host:port` website has no HTTP: its paths take no `path` (or `"/"`), no `method`,
//! `request_data`, `follow_redirects` nor `max_body_bytes`, and only checks that need no HTTP
//! request (`port-open`, `dns-resolves`).

use std::collections::BTreeMap;
use std::time::Duration;

use argos_checks::kind::ProbeKind;
use argos_checks::{Check, Method, RequestData, RequestOptions};

use super::options;
use super::problem::Problems;
use super::reader::{self, Section, index};
use super::yaml::{Node, Value};

const KEYS: [&str; 9] = [
    "path",
    "method",
    "request_data",
    "checks",
    options::KEYS[0],
    options::KEYS[1],
    options::KEYS[2],
    options::KEYS[3],
    options::KEYS[4],
];

/// Keys that only make sense for an HTTP request.
const HTTP_ONLY: [&str; 6] = [
    "method",
    "request_data",
    "follow_redirects",
    "max_body_bytes",
    "follow_redirects_to_private",
    "follow_redirects_with_data",
];

/// What a path needs to know of its website.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Site<'a> {
    /// The website's domain, when valid (already reported otherwise).
    pub domain: Option<&'a url::Url>,
    /// `recurring_tasks.max_lock_seconds`, which bounds a path's `timeout`.
    pub lease: Duration,
}

impl Site<'_> {
    fn is_tcp(&self) -> bool {
        self.domain.is_some_and(|d| d.scheme() == "tcp")
    }
}

/// One path of a website.
#[derive(Debug, Clone, PartialEq)]
pub struct PathConfig {
    /// As written.
    pub path: String,
    /// `domain.join(path)` (RFC 3986: `/x` replaces the domain's path, a full URL replaces all).
    pub url: url::Url,
    /// HTTP method (default GET).
    pub method: Method,
    /// Body and headers to send.
    pub request_data: Option<RequestData>,
    /// `timeout`, `follow_redirects`, `max_body_bytes` and the redirect opt-ins (all unset:
    /// the agent's defaults).
    pub options: RequestOptions,
    /// What to check on the response (never empty).
    pub checks: Vec<Check>,
    /// The line of the path's item.
    pub line: usize,
}

/// Reads one path item. Without a valid `domain` (already reported) it is still checked, then dropped.
pub(crate) fn read_path(
    node: &Node,
    path: &str,
    site: Site<'_>,
    p: &mut Problems,
) -> Option<PathConfig> {
    let sec = Section::new(node, path, &KEYS, p);
    sec.node()?;
    let url_path = if site.is_tcp() {
        tcp_path(&sec, p)
    } else {
        sec.req("path", p, reader::string)
    };
    let url = match (&url_path, site.domain, sec.get("path")) {
        (Some(text), Some(domain), Some(at)) => join(domain, text, at, &sec.path("path"), p),
        (Some(text), Some(domain), None) => domain.join(text).ok(),
        _ => None,
    };
    let method = sec.opt("method", p, method).unwrap_or(Method::Get);
    let request_data = sec
        .get("request_data")
        .and_then(|n| read_request_data(n, &sec.path("request_data"), p));
    let options = options::read(&sec, site.lease, p);
    let checks = read_checks(&sec, site.is_tcp(), p);
    Some(PathConfig {
        path: url_path?,
        url: url?,
        method,
        request_data,
        options,
        checks,
        line: node.line,
    })
}

/// A tcp:// website's path: absent or "/"; HTTP-only keys are reported.
fn tcp_path(sec: &Section<'_>, p: &mut Problems) -> Option<String> {
    for key in HTTP_ONLY {
        if let Some(n) = sec.get(key) {
            p.error(
                n,
                &sec.path(key),
                format!("`{key}` is for http(s) websites; a tcp:// website makes no HTTP request"),
            );
        }
    }
    let text = sec
        .opt("path", p, reader::string)
        .unwrap_or_else(|| "/".to_owned());
    if text != "/"
        && let Some(n) = sec.get("path")
    {
        p.error(
            n,
            &sec.path("path"),
            format!(
                "a tcp:// website has no paths: leave `path` out (or write \"/\"), got {text:?}"
            ),
        );
        return None;
    }
    Some(text)
}

fn join(
    domain: &url::Url,
    text: &str,
    at: &Node,
    path: &str,
    p: &mut Problems,
) -> Option<url::Url> {
    match domain.join(text) {
        // A tcp:// website's only path is "/", which keeps its scheme; an http(s) one's paths
        // may go to another http(s) URL, never leave HTTP.
        Ok(url) if url.host().is_some() && is_http(&url) == is_http(domain) => Some(url),
        Ok(url) => {
            p.error(
                at,
                path,
                format!("{text:?} gives {url}, which is not an http(s) URL"),
            );
            None
        }
        Err(e) => {
            p.error(
                at,
                path,
                format!("{text:?} does not make a valid URL with {domain}: {e}"),
            );
            None
        }
    }
}

fn is_http(url: &url::Url) -> bool {
    matches!(url.scheme(), "http" | "https")
}

fn method(node: &Node, path: &str, p: &mut Problems) -> Option<Method> {
    let text = reader::string(node, path, p)?;
    if let Some(method) = Method::parse(&text) {
        return Some(method);
    }
    let valid: Vec<&str> = Method::ALL.iter().map(|m| m.as_str()).collect();
    let message = match Method::parse(&text.to_uppercase()) {
        Some(m) => format!("methods are upper case: write {:?}", m.as_str()),
        None => format!("unknown method {text:?} (valid: {})", valid.join(", ")),
    };
    p.error(node, path, message);
    None
}

fn read_request_data(node: &Node, path: &str, p: &mut Problems) -> Option<RequestData> {
    let sec = Section::new(node, path, &["data", "is_json", "headers"], p);
    sec.node()?;
    let data = match sec.get("data") {
        Some(n) => json(n, &sec.path("data"), p)?,
        None => serde_json::Value::Null,
    };
    let json = sec.opt("is_json", p, reader::boolean).unwrap_or(false);
    let headers = sec
        .get("headers")
        .and_then(|n| headers(n, &sec.path("headers"), p));
    Some(RequestData {
        data,
        json,
        headers,
    })
}

fn headers(node: &Node, path: &str, p: &mut Problems) -> Option<BTreeMap<String, String>> {
    let Value::Map(entries) = &node.value else {
        p.error(
            node,
            path,
            format!(
                "expected a mapping of header name → value, got {}",
                node.kind()
            ),
        );
        return None;
    };
    let mut headers = BTreeMap::new();
    for entry in entries {
        let header_path = reader::field(path, &entry.key);
        if let Some(value) = reader::string(&entry.value, &header_path, p) {
            headers.insert(entry.key.clone(), value);
        }
    }
    Some(headers)
}

fn json(node: &Node, path: &str, p: &mut Problems) -> Option<serde_json::Value> {
    node.to_json()
        .map_err(|(at, message)| p.error(at, path, message))
        .ok()
}

fn read_checks(sec: &Section<'_>, tcp: bool, p: &mut Problems) -> Vec<Check> {
    let path = sec.path("checks");
    let Some(node) = sec.required("checks", p) else {
        return Vec::new();
    };
    let Some(items) = reader::list(node, &path, p) else {
        return Vec::new();
    };
    if items.is_empty() {
        p.error(node, &path, "a path needs at least one check");
    }
    reader::exact(items.iter().enumerate().filter_map(|(k, n)| {
        let at = index(&path, k);
        check(n, &at, p).filter(|c| !tcp || fits_tcp(c, n, &at, p))
    }))
}

/// Whether `check` can run on a tcp:// website (reported when not).
fn fits_tcp(check: &Check, node: &Node, path: &str, p: &mut Problems) -> bool {
    if check.probe_kind() != ProbeKind::Http {
        return true;
    }
    let message = format!(
        "{} needs an HTTP request; a tcp:// website allows port-open and dns-resolves",
        check.name()
    );
    p.error(node, path, message);
    false
}

fn check(node: &Node, path: &str, p: &mut Problems) -> Option<Check> {
    let entry = reader::one_key_item(
        node,
        path,
        "check",
        "<check>: <expected>",
        "status-is: 200",
        p,
    )?;
    let expected = json(&entry.value, path, p)?;
    Check::from_config(&entry.key, &expected)
        .map_err(|e| p.error(node, path, e.to_string()))
        .ok()
}
