//! The chart's pure helpers: scales, tick positions and labels, runs of adjacent buckets,
//! and escaping.

use chrono::{DateTime, TimeDelta, Utc};

use crate::store::{Point, Step};

/// Runs of adjacent buckets that have a value, as (bucket start, value).
pub(super) fn runs(
    points: &[Point],
    step: Step,
    value: fn(&Point) -> Option<f64>,
) -> Vec<Vec<(DateTime<Utc>, f64)>> {
    let mut out: Vec<Vec<(DateTime<Utc>, f64)>> = Vec::new();
    let mut last: Option<DateTime<Utc>> = None;
    for p in points {
        let Some(v) = value(p) else {
            last = None;
            continue;
        };
        match (out.last_mut(), last) {
            (Some(run), Some(prev)) if p.start - prev == step.length() => run.push((p.start, v)),
            _ => out.push(vec![(p.start, v)]),
        }
        last = Some(p.start);
    }
    out
}

/// The smallest 1, 2 or 5 × 10ⁿ ms at least `raw` (at least 1 ms).
pub(super) fn nice_step(raw: f64) -> f64 {
    let raw = raw.max(1.0);
    let magnitude = 10_f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude)
}

/// "0 ms", "250 ms", "1.5 s", "12 s".
pub(super) fn format_ms(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{} ms", ms.round())
    } else {
        let s = format!("{:.1}", ms / 1000.0);
        format!("{} s", s.trim_end_matches(".0"))
    }
}

/// Tick interval and label format for a period of `span`.
pub(super) fn time_ticks(span: TimeDelta) -> (TimeDelta, &'static str) {
    if span <= TimeDelta::hours(36) {
        (TimeDelta::hours(3), "%H:%M")
    } else if span <= TimeDelta::days(10) {
        (TimeDelta::days(1), "%a %d")
    } else {
        (TimeDelta::days(7), "%b %d")
    }
}

/// Multiples of `every` (counted from the Unix epoch, so in UTC) within `[from, to]`.
pub(super) fn ticks(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    every: TimeDelta,
) -> Vec<DateTime<Utc>> {
    let every_s = every.num_seconds().max(1);
    let first = from.timestamp().div_euclid(every_s) * every_s
        + if from.timestamp() % every_s == 0 {
            0
        } else {
            every_s
        };
    (0..)
        .map(|i| first + i * every_s)
        .take_while(|t| *t <= to.timestamp())
        .filter_map(|t| DateTime::from_timestamp(t, 0))
        .collect()
}

/// Escapes text for SVG/HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
