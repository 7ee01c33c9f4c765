//! The domain page's view: each task with its latest result, certificate expiry and uptime,
//! the domain's uptime, and the response-time chart. Pure: the handler in `pages` reads the
//! store (four indexed queries, run together) and renders what [`context`] builds.

use std::collections::BTreeMap;

use argos_checks::{Severity, Threshold};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use crate::store::{CertExpiry, Point, Step, Tally, TaskView, Uptime};
use crate::web::chart::{self, Series};

/// A period the chart can show (`?range=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Range {
    /// The query value.
    pub key: &'static str,
    /// For people.
    pub label: &'static str,
    /// Hourly buckets shown, the current one included.
    pub hours: i64,
}

/// The periods offered, the default first.
pub(super) const RANGES: [Range; 2] = [
    Range {
        key: "24h",
        label: "24 hours",
        hours: 24,
    },
    Range {
        key: "7d",
        label: "7 days",
        hours: 7 * 24,
    },
];

impl Range {
    /// The range named `key` (`None`: the default).
    pub fn parse(key: Option<&str>) -> Option<Range> {
        match key {
            None | Some("") => Some(RANGES[0]),
            Some(k) => RANGES.iter().find(|r| r.key == k).copied(),
        }
    }

    /// `[from, to)`: the current hour and the `hours - 1` before it.
    pub fn period(&self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let end = Step::Hour.start(now) + TimeDelta::hours(1);
        (end - TimeDelta::hours(self.hours), end)
    }
}

/// What the page shows, as read from the store.
pub(super) struct Inputs<'a> {
    pub netloc: &'a str,
    pub tasks: &'a [TaskView],
    pub uptimes: &'a BTreeMap<i64, Uptime>,
    pub certificates: &'a [CertExpiry],
    pub points: &'a [Point],
    pub range: Range,
    pub thresholds: &'a [Threshold],
    pub now: DateTime<Utc>,
}

/// The template context of `domain.html` (but `maintenance`, which the handler adds).
pub(super) fn context(i: &Inputs<'_>) -> Value {
    let (from, to) = i.range.period(i.now);
    let title = format!(
        "Response time of {}, last {} (hourly)",
        i.netloc, i.range.label
    );
    let chart = chart::render(&Series {
        title: &title,
        points: i.points,
        step: Step::Hour,
        from,
        to,
    });
    let certs: BTreeMap<i64, &CertExpiry> = i.certificates.iter().map(|c| (c.task_id, c)).collect();
    let tasks: Vec<Value> = i
        .tasks
        .iter()
        .map(|t| {
            let mut row = json!(t);
            row["uptime"] = uptime(i.uptimes.get(&t.id).copied().unwrap_or_default());
            row["certificate"] = certs
                .get(&t.id)
                .map_or(Value::Null, |c| certificate(c, i.thresholds, i.now));
            row
        })
        .collect();
    let ranges: Vec<Value> = RANGES
        .iter()
        .map(|r| json!({ "key": r.key, "label": r.label }))
        .collect();
    json!({
        "netloc": i.netloc,
        "tasks": tasks,
        "uptime": uptime(Uptime::sum(i.uptimes.values())),
        "chart": { "svg": chart.svg, "summary": chart.summary },
        "range": i.range.key,
        "ranges": ranges,
    })
}

/// The three windows as text ("99.95%"; `null` without results).
fn uptime(u: Uptime) -> Value {
    json!({ "day": percent(u.day), "week": percent(u.week), "month": percent(u.month) })
}

/// Floored to two decimals, so that a single failure never shows as "100%".
fn percent(t: Tally) -> Option<String> {
    let p = t.percent()?;
    Some(if t.ok == t.checks {
        "100%".to_owned()
    } else {
        format!("{:.2}%", (p * 100.0).floor() / 100.0)
    })
}

/// Days left and the severity the SSL thresholds give them (expired: critical).
fn certificate(c: &CertExpiry, thresholds: &[Threshold], now: DateTime<Utc>) -> Value {
    let left = (c.expires_at - now).num_seconds() as f64 / 86_400.0;
    let severity = if left < 0.0 {
        Severity::Critical
    } else {
        thresholds
            .iter()
            .find(|t| left < t.days)
            .map_or(Severity::Ok, |t| t.severity)
    };
    json!({
        "days": c.days_left(now),
        "expires_at": c.expires_at,
        "severity": severity,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_periods() {
        assert_eq!(Range::parse(None), Some(RANGES[0]));
        assert_eq!(Range::parse(Some("7d")).map(|r| r.hours), Some(168));
        assert_eq!(Range::parse(Some("1y")), None);
        let now: DateTime<Utc> = "2026-03-04T05:06:07Z".parse().unwrap();
        let (from, to) = RANGES[0].period(now);
        assert_eq!(from.to_rfc3339(), "2026-03-03T06:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2026-03-04T06:00:00+00:00");
    }

    #[test]
    fn percentages_never_round_up_to_a_hundred() {
        let t = |checks, ok| percent(Tally { checks, ok });
        assert_eq!(t(0, 0), None);
        assert_eq!(t(10, 10).as_deref(), Some("100%"));
        assert_eq!(t(100_000, 99_999).as_deref(), Some("99.99%"));
        assert_eq!(t(3, 2).as_deref(), Some("66.66%"));
    }

    fn task(id: i64) -> TaskView {
        TaskView {
            id,
            url: "https://a.example/".into(),
            domain: "https://a.example/".into(),
            netloc: "a.example".into(),
            ip_version: argos_checks::IpVersion::V4,
            check: "status-is".into(),
            expected: "200".into(),
            method: argos_checks::Method::Get,
            severity: Severity::Ok,
            last_status: Some(argos_checks::Status::Success),
            last_result_id: Some(9),
            last_run: None,
            last_elapsed_ms: Some(12.4),
            next_run: "2026-01-01T00:00:00Z".parse().unwrap(),
            leased_by: None,
            frequency_s: 300.0,
        }
    }

    #[test]
    fn the_page_shows_uptime_certificate_and_the_chart() {
        let now: DateTime<Utc> = "2026-01-01T12:30:00Z".parse().unwrap();
        let tally = Tally { checks: 4, ok: 3 };
        let uptimes = BTreeMap::from([(
            1,
            Uptime {
                day: tally,
                week: tally,
                month: tally,
            },
        )]);
        let certificates = [CertExpiry {
            task_id: 1,
            expires_at: now + TimeDelta::days(40),
        }];
        let points = [Point {
            start: "2026-01-01T11:00:00Z".parse().unwrap(),
            tally,
            timed: 4,
            avg_ms: Some(120.0),
            max_ms: Some(300.0),
        }];
        let mut ctx = context(&Inputs {
            netloc: "a.example",
            tasks: &[task(1)],
            uptimes: &uptimes,
            certificates: &certificates,
            points: &points,
            range: RANGES[0],
            thresholds: &[],
            now,
        });
        ctx["root"] = json!("");
        let html = crate::web::pages::templates()
            .get_template("domain.html")
            .and_then(|t| t.render(minijinja::value::Serde(&ctx)))
            .unwrap();
        assert!(
            html.contains("<svg xmlns") && html.contains("role=\"img\""),
            "{html}"
        );
        assert!(
            html.contains("<figcaption>Average response time 120 ms"),
            "{html}"
        );
        assert!(html.contains("<dd>75.00%</dd>") && html.contains("75.00% · 75.00% · 75.00%"));
        assert!(html.contains(">40 days</span>"), "{html}");
        assert!(html.contains("<a href=\"?range=7d\">7 days</a>"), "{html}");
    }

    #[test]
    fn certificate_severity_follows_the_thresholds() {
        let now: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let thresholds = [
            Threshold {
                days: 1.0,
                severity: Severity::Critical,
            },
            Threshold {
                days: 5.0,
                severity: Severity::Warning,
            },
        ];
        let sev = |days: i64| {
            let c = CertExpiry {
                task_id: 1,
                expires_at: now + TimeDelta::days(days) + TimeDelta::hours(1),
            };
            certificate(&c, &thresholds, now)["severity"].clone()
        };
        assert_eq!(sev(30), json!("ok"));
        assert_eq!(sev(3), json!("warning"));
        assert_eq!(sev(0), json!("critical"));
        assert_eq!(sev(-2), json!("critical"));
    }
}
