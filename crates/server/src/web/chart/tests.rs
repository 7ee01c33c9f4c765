use chrono::{DateTime, TimeDelta, Utc};

use super::*;
use crate::store::Tally;

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// An hourly point `h` hours after midnight, 12 results of which `ok` were ok.
fn hour(h: i64, avg: f64, max: f64, ok: i64) -> Point {
    Point {
        start: t("2026-03-04T00:00:00Z") + TimeDelta::hours(h),
        tally: Tally { checks: 12, ok },
        timed: 12,
        avg_ms: Some(avg),
        max_ms: Some(max),
    }
}

fn day_series<'a>(title: &'a str, points: &'a [Point]) -> Series<'a> {
    Series {
        title,
        points,
        step: Step::Hour,
        from: t("2026-03-04T00:00:00Z"),
        to: t("2026-03-05T00:00:00Z"),
    }
}

#[test]
fn axes_have_time_and_millisecond_labels() {
    let points: Vec<Point> = (0..24)
        .map(|h| hour(h, 100.0 + h as f64, 180.0, 12))
        .collect();
    let chart = render(&day_series("Response time", &points));
    for label in [
        "00:00",
        "03:00",
        "21:00",
        "00:00</text>",
        "0 ms",
        "50 ms",
        "200 ms",
    ] {
        assert!(chart.svg.contains(label), "{label} missing: {}", chart.svg);
    }
    // 0 to 24 h every 3 h, both ends included.
    assert_eq!(chart.svg.matches("text-anchor=\"middle\"").count(), 9);
    assert!(chart.svg.starts_with("<svg") && chart.svg.ends_with("</svg>"));
    assert_eq!(
        chart.svg.matches("<polyline").count(),
        2,
        "average and slowest"
    );
}

#[test]
fn it_is_labelled_for_screen_readers_and_summarised() {
    let points = [hour(1, 100.0, 300.0, 12), hour(2, 200.0, 1500.0, 11)];
    let chart = render(&day_series("Response time of a.example", &points));
    assert!(chart.svg.contains("role=\"img\""));
    assert!(chart.svg.contains("aria-labelledby=\"rt-title rt-desc\""));
    assert!(
        chart
            .svg
            .contains("<title id=\"rt-title\">Response time of a.example</title>")
    );
    assert_eq!(
        chart.summary,
        "Average response time 150 ms, slowest 1.5 s (in the hour starting 2026-03-04 02:00 UTC); \
         1 of the 2 hours with results had results that were not ok."
    );
    assert!(
        chart
            .svg
            .contains(&format!("<desc id=\"rt-desc\">{}</desc>", chart.summary))
    );
    assert!(
        chart
            .svg
            .contains("2026-03-04 02:00 UTC: 1 of 12 results not ok")
    );
}

#[test]
fn text_is_escaped() {
    let points = [hour(1, 100.0, 300.0, 12)];
    let chart = render(&day_series("<script>alert('x')</script> & \"q\"", &points));
    assert!(!chart.svg.contains("<script>"), "{}", chart.svg);
    assert!(
        chart
            .svg
            .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;")
    );
}

#[test]
fn empty_data_draws_the_frame_and_says_so() {
    let chart = render(&day_series("Response time", &[]));
    assert!(chart.svg.contains("No response time in this period"));
    assert!(chart.svg.contains("0 ms") && chart.svg.contains("10 ms"));
    assert!(!chart.svg.contains("<polyline"));
    assert_eq!(
        chart.summary,
        "No response time was recorded in this period."
    );
}

#[test]
fn a_bucket_without_results_breaks_the_line() {
    let points = [
        hour(0, 10.0, 20.0, 12),
        hour(1, 12.0, 20.0, 12),
        hour(3, 11.0, 20.0, 12),
    ];
    let chart = render(&day_series("t", &points));
    // Average and slowest: one line for hours 0–1 and one dot for hour 3 each.
    assert_eq!(chart.svg.matches("<polyline").count(), 2);
    assert_eq!(chart.svg.matches("<circle").count(), 2);
}

#[test]
fn a_week_is_labelled_by_day() {
    let points = [hour(30, 10.0, 20.0, 12)];
    let series = Series {
        to: t("2026-03-11T00:00:00Z"),
        ..day_series("t", &points)
    };
    let chart = render(&series);
    assert!(
        chart.svg.contains(">Wed 04<") && chart.svg.contains(">Tue 10<"),
        "{}",
        chart.svg
    );
}

#[test]
fn scales_and_units() {
    assert_eq!(nice_step(0.0), 1.0);
    assert_eq!(nice_step(3.0), 5.0);
    assert_eq!(nice_step(120.0), 200.0);
    assert_eq!(nice_step(1000.0), 1000.0);
    assert_eq!(format_ms(0.0), "0 ms");
    assert_eq!(format_ms(999.4), "999 ms");
    assert_eq!(format_ms(1000.0), "1 s");
    assert_eq!(format_ms(12_345.0), "12.3 s");
    let from = t("2026-03-04T01:30:00Z");
    let got = ticks(from, from + TimeDelta::hours(6), TimeDelta::hours(3));
    assert_eq!(got, [t("2026-03-04T03:00:00Z"), t("2026-03-04T06:00:00Z")]);
}

#[test]
fn no_inline_style_for_the_content_security_policy() {
    let points = [hour(1, 100.0, 300.0, 11), hour(5, 100.0, 300.0, 12)];
    let chart = render(&day_series("t", &points));
    assert!(!chart.svg.contains("style"), "{}", chart.svg);
}
