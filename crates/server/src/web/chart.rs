//! The response-time chart of the domain page, drawn by the server as inline SVG: no
//! JavaScript, no external asset. Only presentation attributes, never `style`: the pages'
//! Content-Security-Policy (`style-src 'self'`) refuses inline styles. Text and grid are
//! `currentColor`, and the three series colours read on light and dark backgrounds alike.
//!
//! A pure function of the roll-up points: [`render`] gives the SVG and a one-sentence text
//! summary (also the SVG's `<desc>`, for screen readers). Every text that reaches the SVG
//! goes through [`escape`]; the template inserts the SVG as it is.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use crate::store::{Point, Step};

mod scale;

pub use scale::escape;
use scale::{format_ms, nice_step, runs, ticks, time_ticks};

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 22.0;
const BOTTOM: f64 = 30.0;
/// Height of the marks under hours with results that were not ok.
const MARK: f64 = 5.0;
/// Line of the hourly averages.
const AVERAGE: &str = "stroke=\"#2563eb\" stroke-width=\"2\"";
/// Line of the slowest results.
const SLOWEST: &str = "stroke=\"#d97706\" stroke-dasharray=\"4 3\"";
/// Marks of the buckets with results that were not ok.
const RED: &str = "#dc2626";

/// What to draw.
#[derive(Debug, Clone, Copy)]
pub struct Series<'a> {
    /// The SVG's `<title>` (e.g. "Response time of example.org, last 24 hours").
    pub title: &'a str,
    /// The buckets with results, oldest first.
    pub points: &'a [Point],
    /// Their size.
    pub step: Step,
    /// The period shown: `[from, to)`.
    pub from: DateTime<Utc>,
    /// End of the period.
    pub to: DateTime<Utc>,
}

/// A drawn chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// `<svg>…</svg>`, safe to insert into HTML as it is.
    pub svg: String,
    /// One sentence saying what the chart shows (plain text, not escaped).
    pub summary: String,
}

/// Draws `series`.
pub fn render(series: &Series<'_>) -> Chart {
    let summary = summary(series);
    let frame = Frame::new(series);
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
         role=\"img\" aria-labelledby=\"rt-title rt-desc\" width=\"100%\" \
         font-size=\"11\" font-family=\"system-ui, sans-serif\">\
         <title id=\"rt-title\">{}</title><desc id=\"rt-desc\">{}</desc>",
        escape(series.title),
        escape(&summary)
    );
    frame.y_axis(&mut svg);
    frame.x_axis(&mut svg, series);
    if series.points.iter().any(|p| p.avg_ms.is_some()) {
        frame.failures(&mut svg, series);
        frame.line(&mut svg, series, |p| p.max_ms, SLOWEST);
        frame.line(&mut svg, series, |p| p.avg_ms, AVERAGE);
        legend(&mut svg);
    } else {
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"currentColor\">No response time in this period</text>",
            LEFT + frame.width / 2.0,
            TOP + frame.height / 2.0
        );
    }
    svg.push_str("</svg>");
    Chart { svg, summary }
}

/// The plot area and its scales.
struct Frame {
    from: DateTime<Utc>,
    span: f64,
    y_max: f64,
    y_step: f64,
    width: f64,
    height: f64,
}

impl Frame {
    fn new(series: &Series<'_>) -> Frame {
        let slowest = series
            .points
            .iter()
            .filter_map(|p| p.max_ms.or(p.avg_ms))
            .fold(0.0_f64, f64::max)
            // An empty or very fast series still gets a readable scale.
            .max(10.0);
        let y_step = nice_step(slowest / 4.0);
        Frame {
            from: series.from,
            span: (series.to - series.from).num_milliseconds().max(1) as f64,
            y_max: (slowest / y_step).ceil().max(1.0) * y_step,
            y_step,
            width: WIDTH - LEFT - RIGHT,
            height: HEIGHT - TOP - BOTTOM,
        }
    }

    fn x(&self, t: DateTime<Utc>) -> f64 {
        let ms = (t - self.from).num_milliseconds() as f64;
        LEFT + (ms / self.span).clamp(0.0, 1.0) * self.width
    }

    fn y(&self, ms: f64) -> f64 {
        TOP + self.height - (ms / self.y_max).clamp(0.0, 1.0) * self.height
    }

    /// Horizontal grid lines with their labels, from 0 to the top of the scale.
    fn y_axis(&self, svg: &mut String) {
        let ticks = (self.y_max / self.y_step).round() as usize;
        for i in 0..=ticks {
            let v = self.y_step * i as f64;
            let y = self.y(v);
            let _ = write!(
                svg,
                "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"currentColor\" stroke-opacity=\"0.15\"/>\
                 <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"currentColor\">{}</text>",
                LEFT + self.width,
                LEFT - 6.0,
                y + 4.0,
                escape(&format_ms(v))
            );
        }
    }

    /// The time axis: a tick and a label at each whole interval (UTC).
    fn x_axis(&self, svg: &mut String, series: &Series<'_>) {
        let bottom = TOP + self.height;
        let _ = write!(
            svg,
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{bottom}\" y2=\"{bottom}\" stroke=\"currentColor\"/>",
            LEFT + self.width
        );
        let (every, format) = time_ticks(series.to - series.from);
        for t in ticks(series.from, series.to, every) {
            let x = self.x(t);
            let _ = write!(
                svg,
                "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{bottom}\" y2=\"{}\" stroke=\"currentColor\"/>\
                 <text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\" fill=\"currentColor\">{}</text>",
                bottom + 4.0,
                bottom + 16.0,
                escape(&t.format(format).to_string())
            );
        }
    }

    /// One polyline per run of adjacent buckets (a bucket without results breaks the line);
    /// a lone bucket is a dot.
    fn line(
        &self,
        svg: &mut String,
        series: &Series<'_>,
        value: fn(&Point) -> Option<f64>,
        stroke: &str,
    ) {
        let half = series.step.length() / 2;
        for run in runs(series.points, series.step, value) {
            let coords: Vec<String> = run
                .iter()
                .map(|(t, v)| format!("{:.1},{:.1}", self.x(*t + half), self.y(*v)))
                .collect();
            if let [only] = coords.as_slice() {
                let (x, y) = only.split_once(',').unwrap_or(("0", "0"));
                let _ = write!(
                    svg,
                    "<circle cx=\"{x}\" cy=\"{y}\" r=\"2.5\" fill=\"none\" {stroke}/>"
                );
            } else {
                let _ = write!(
                    svg,
                    "<polyline points=\"{}\" fill=\"none\" {stroke}/>",
                    coords.join(" ")
                );
            }
        }
    }

    /// A red mark under each bucket with results that were not ok, with its counts.
    fn failures(&self, svg: &mut String, series: &Series<'_>) {
        let len = series.step.length();
        for p in series.points.iter().filter(|p| p.tally.ok < p.tally.checks) {
            let (x0, x1) = (self.x(p.start), self.x(p.start + len));
            let _ = write!(
                svg,
                "<rect x=\"{x0:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{MARK}\" fill=\"{RED}\">\
                 <title>{}</title></rect>",
                TOP + self.height - MARK,
                (x1 - x0).max(1.0),
                escape(&format!(
                    "{} UTC: {} of {} results not ok",
                    p.start.format("%Y-%m-%d %H:%M"),
                    p.tally.checks - p.tally.ok,
                    p.tally.checks
                ))
            );
        }
    }
}

fn legend(svg: &mut String) {
    let y = TOP - 10.0;
    let x = WIDTH - RIGHT - 250.0;
    let _ = write!(
        svg,
        "<g fill=\"currentColor\">\
         <line x1=\"{x}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\" {AVERAGE}/>\
         <text x=\"{}\" y=\"{}\">average</text>\
         <line x1=\"{}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\" {SLOWEST}/>\
         <text x=\"{}\" y=\"{}\">slowest</text>\
         <rect x=\"{}\" y=\"{}\" width=\"12\" height=\"{MARK}\" fill=\"{RED}\"/>\
         <text x=\"{}\" y=\"{}\">not ok</text></g>",
        x + 18.0,
        x + 22.0,
        y + 4.0,
        x + 85.0,
        x + 103.0,
        x + 107.0,
        y + 4.0,
        x + 170.0,
        y - 2.5,
        x + 186.0,
        y + 4.0,
    );
}

/// The sentence under the chart (and its `<desc>`).
fn summary(series: &Series<'_>) -> String {
    let timed: Vec<&Point> = series
        .points
        .iter()
        .filter(|p| p.avg_ms.is_some())
        .collect();
    let Some(slowest) = timed
        .iter()
        .max_by(|a, b| a.max_ms.unwrap_or(0.0).total_cmp(&b.max_ms.unwrap_or(0.0)))
    else {
        return "No response time was recorded in this period.".to_owned();
    };
    let timed_results: i64 = timed.iter().map(|p| p.timed).sum();
    let total_ms: f64 = timed
        .iter()
        .map(|p| p.avg_ms.unwrap_or(0.0) * p.timed as f64)
        .sum();
    let unit = match series.step {
        Step::Hour => "hours",
        Step::Day => "days",
    };
    let failing = series
        .points
        .iter()
        .filter(|p| p.tally.ok < p.tally.checks)
        .count();
    format!(
        "Average response time {}, slowest {} (in the {} starting {} UTC); \
         {failing} of the {} {unit} with results had results that were not ok.",
        format_ms(total_ms / timed_results.max(1) as f64),
        format_ms(slowest.max_ms.unwrap_or(0.0)),
        &unit[..unit.len() - 1],
        slowest.start.format("%Y-%m-%d %H:%M"),
        series.points.len()
    )
}

#[cfg(test)]
mod tests;
