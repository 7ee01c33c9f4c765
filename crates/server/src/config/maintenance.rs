//! (Argos Rust) The `maintenance:` section: windows during which alerts are held.
//!
//! ```yaml
//! maintenance:
//!   - name: "Datacenter move"             # one-off: start, and end or duration
//!     start: "2026-12-24 22:00"
//!     end: "2026-12-25 02:00"
//!     timezone: "Europe/Paris"            # of start/end without an offset (default UTC)
//!     domains: ["https://www.example.org"]   # default: every website
//!   - name: "Weekly backups"              # weekly: days, start (HH:MM), duration
//!     days: [sat, sun]
//!     start: "03:00"
//!     duration: "1h"
//!     timezone: "Europe/Paris"
//! ```

use chrono::{DateTime, Duration, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use super::problem::Problems;
use super::reader::{self, Section, index};
use super::yaml::Node;
use crate::alerting::maintenance::{Schedule, Window};

const KEYS: &[&str] = &[
    "name", "start", "end", "duration", "days", "timezone", "domains",
];

/// Reads the list; `sites` are the websites' `(domain, netloc)`, to catch a listed domain
/// that no website has.
pub(crate) fn read(node: &Node, sites: &[(String, String)], p: &mut Problems) -> Vec<Window> {
    let Some(items) = reader::list(node, "maintenance", p) else {
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(i, n)| read_window(n, &index("maintenance", i), sites, p))
        .collect()
}

fn read_window(
    node: &Node,
    path: &str,
    sites: &[(String, String)],
    p: &mut Problems,
) -> Option<Window> {
    let sec = Section::new(node, path, KEYS, p);
    sec.node()?;
    let tz = sec.opt("timezone", p, timezone).unwrap_or(chrono_tz::UTC);
    let schedule = if sec.get("days").is_some() {
        weekly(&sec, tz, p)
    } else {
        once(&sec, tz, p)
    };
    let domains = sec
        .get("domains")
        .map(|n| domains(n, &sec.path("domains"), sites, p))
        .unwrap_or_default();
    Some(Window {
        name: sec
            .opt("name", p, reader::non_empty)
            .unwrap_or_else(|| format!("maintenance {}", path.trim_start_matches("maintenance"))),
        schedule: schedule?,
        domains,
    })
}

/// The listed domains, each warned about when no website has it (a typo would silently
/// leave the real one unprotected).
fn domains(node: &Node, path: &str, sites: &[(String, String)], p: &mut Problems) -> Vec<String> {
    let items = reader::list(node, path, p).unwrap_or_default();
    let mut out = Vec::new();
    for (i, n) in items.iter().enumerate() {
        let item = index(path, i);
        let Some(d) = reader::non_empty(n, &item, p).map(|d| normalise(&d)) else {
            continue;
        };
        if !sites
            .iter()
            .any(|(domain, netloc)| d == *domain || d == *netloc)
        {
            p.warn(n, &item, format!("{d:?} is not the domain of any website"));
        }
        out.push(d);
    }
    out
}

/// A URL the way websites' domains are stored (`https://example.org/`), or a `host[:port]`.
fn normalise(d: &str) -> String {
    match url::Url::parse(d.trim()) {
        Ok(u) if u.has_host() => u.to_string(),
        _ => d.trim().to_lowercase(),
    }
}

fn once(sec: &Section<'_>, tz: Tz, p: &mut Problems) -> Option<Schedule> {
    let at = |key: &str, p: &mut Problems| {
        let node = sec.get(key)?;
        instant(node, &sec.path(key), tz, p)
    };
    let start = sec.required("start", p).and_then(|_| at("start", p));
    let end = match (sec.get("end"), sec.get("duration")) {
        (Some(_), None) => at("end", p),
        (None, Some(_)) => {
            let d = sec.opt("duration", p, reader::duration)?;
            let end = start.and_then(|s| s.checked_add_signed(Duration::from_std(d).ok()?));
            if let (Some(_), None, Some(n)) = (start, end, sec.get("duration")) {
                p.error(
                    n,
                    &sec.path("duration"),
                    "ends after the last date we can count",
                );
            }
            end
        }
        _ => {
            let node = sec.node()?;
            p.error(
                node,
                &sec.path("end"),
                "a one-off window needs either `end` or `duration` (a weekly one needs `days`)",
            );
            None
        }
    };
    let (start, end) = (start?, end?);
    if end <= start {
        p.error(
            sec.get("end").or(sec.node())?,
            &sec.path("end"),
            "ends before it starts",
        );
        return None;
    }
    Some(Schedule::Once { start, end })
}

fn weekly(sec: &Section<'_>, tz: Tz, p: &mut Problems) -> Option<Schedule> {
    let days = sec.opt("days", p, weekdays);
    let start = sec.req("start", p, time_of_day);
    let duration = sec.req("duration", p, reader::duration);
    if let (Some(node), Some(_)) = (sec.get("end"), &duration) {
        p.error(
            node,
            &sec.path("end"),
            "a weekly window has a `duration`, not an `end`",
        );
    }
    let duration = Duration::from_std(duration?).ok()?;
    if duration >= Duration::days(7) {
        p.error(
            sec.get("duration")?,
            &sec.path("duration"),
            "a weekly window lasts less than a week",
        );
        return None;
    }
    Some(Schedule::Weekly {
        days: days?,
        start: start?,
        duration,
        tz,
    })
}

fn timezone(node: &Node, path: &str, p: &mut Problems) -> Option<Tz> {
    let text = reader::non_empty(node, path, p)?;
    match text.parse::<Tz>() {
        Ok(tz) => Some(tz),
        Err(_) => {
            p.error(
                node,
                path,
                format!("unknown time zone {text:?} (e.g. \"UTC\", \"Europe/Paris\")"),
            );
            None
        }
    }
}

/// RFC 3339 (`2026-12-24T22:00:00+01:00`), or a local `2026-12-24 22:00[:00]` in `tz`.
fn instant(node: &Node, path: &str, tz: Tz, p: &mut Problems) -> Option<DateTime<Utc>> {
    let text = reader::non_empty(node, path, p)?;
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    let local = [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok());
    match local.and_then(|l| tz.from_local_datetime(&l).earliest()) {
        Some(t) => Some(t.with_timezone(&Utc)),
        None => {
            let message = format!(
                "{text:?} is not a date and time (e.g. \"2026-12-24 22:00\" or \"2026-12-24T22:00:00Z\")"
            );
            p.error(node, path, message);
            None
        }
    }
}

fn time_of_day(node: &Node, path: &str, p: &mut Problems) -> Option<NaiveTime> {
    let text = reader::non_empty(node, path, p)?;
    match NaiveTime::parse_from_str(text.trim(), "%H:%M") {
        Ok(t) => Some(t),
        Err(_) => {
            p.error(
                node,
                path,
                format!("{text:?} is not a time of day (e.g. \"03:00\")"),
            );
            None
        }
    }
}

fn weekdays(node: &Node, path: &str, p: &mut Problems) -> Option<Vec<Weekday>> {
    let items = reader::list(node, path, p)?;
    let mut days = Vec::new();
    for (i, n) in items.iter().enumerate() {
        let item = index(path, i);
        let Some(text) = reader::non_empty(n, &item, p) else {
            continue;
        };
        match text.parse::<Weekday>() {
            Ok(d) => days.push(d),
            Err(_) => p.error(n, &item, format!("{text:?} is not a day (mon, tue, … sun)")),
        }
    }
    if days.is_empty() {
        p.error(node, path, "a weekly window needs at least one day");
        return None;
    }
    Some(days)
}
