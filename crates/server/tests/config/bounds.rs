//! Durations and counts at their bounds load, one step beyond is an error with its file,
//! line and path: past them, date arithmetic overflowed at run time (a `max_results_age`
//! of "1000000c" panicked the maintenance loop, a `frequency` of it the ingestion, a
//! maintenance window of it the config load).

use super::{WEBSITE, assert_one_error, config, load};

/// `general` lines after `no_agent: [local]` (line 11), so new keys start at line 12.
fn general(lines: &str) -> String {
    config(
        &[("no_agent: [local]", &format!("no_agent: [local]\n{lines}"))],
        WEBSITE,
    )
}

/// Each `(key: value at the bound, path, line, value beyond, message)`, on one config line.
type Case<'a> = (String, String, &'a str, usize, &'a str);

#[test]
fn every_duration_and_count_is_bounded() {
    let line = |from: &str, to: &str| config(&[(from, to)], WEBSITE);
    let key = |name: &str, value: &str| general(&format!("  {name}: {value}"));
    let cases: Vec<Case<'_>> = vec![
        (
            line("frequency: \"5m\"", "frequency: \"1y\""),
            line("frequency: \"5m\"", "frequency: \"1y 1s\""),
            "general.frequency",
            5,
            "at most \"1y\"",
        ),
        (
            key("recheck_delay", "\"1y\""),
            key("recheck_delay", "\"1000000c\""),
            "general.recheck_delay",
            12,
            "at most \"1y\"",
        ),
        (
            key("reminder_interval", "\"1y\""),
            key("reminder_interval", "\"367d\""),
            "general.reminder_interval",
            12,
            "at most \"1y\"",
        ),
        (
            key("session_duration", "\"10y\""),
            key("session_duration", "\"10y 1s\""),
            "general.session_duration",
            12,
            "at most \"10y\"",
        ),
        (
            key("remember_me_duration", "\"10y\""),
            key("remember_me_duration", "\"1000000c\""),
            "general.remember_me_duration",
            12,
            "at most \"10y\"",
        ),
        (
            line("max_results_age: \"1d\"", "max_results_age: \"100y\""),
            line("max_results_age: \"1d\"", "max_results_age: \"1000000c\""),
            "recurring_tasks.max_results_age",
            19,
            "at most \"100y\"",
        ),
        (
            line("max_lock_seconds: 100", "max_lock_seconds: 86400"),
            line("max_lock_seconds: 100", "max_lock_seconds: 86401"),
            "recurring_tasks.max_lock_seconds",
            20,
            "at most 86400",
        ),
        (
            line("time_without_agent: 5", "time_without_agent: 527040"),
            line("time_without_agent: 5", "time_without_agent: 527041"),
            "recurring_tasks.time_without_agent",
            21,
            "at most 527040 minutes",
        ),
        (
            line(
                "url: \"sqlite:///argos.db\"",
                "url: \"sqlite:///argos.db\"\n    pool_size: 10000\n    max_overflow: 10000",
            ),
            line(
                "url: \"sqlite:///argos.db\"",
                "url: \"sqlite:///argos.db\"\n    max_overflow: 10001",
            ),
            "general.db.max_overflow",
            4,
            "at most 10000",
        ),
        (
            line(
                "url: \"sqlite:///argos.db\"",
                "url: \"sqlite:///argos.db\"\n    pool_size: 10000",
            ),
            line(
                "url: \"sqlite:///argos.db\"",
                "url: \"sqlite:///argos.db\"\n    pool_size: 4294967295",
            ),
            "general.db.pool_size",
            4,
            "at most 10000",
        ),
        (
            key("retry_before_notification", "1000"),
            key("retry_before_notification", "1001"),
            "general.retry_before_notification",
            12,
            "at most 1000",
        ),
        (
            key("recovery_threshold", "1000"),
            key("recovery_threshold", "1001"),
            "general.recovery_threshold",
            12,
            "at most 1000",
        ),
        (
            key("alert_storm_threshold", "1000000"),
            key("alert_storm_threshold", "1000001"),
            "general.alert_storm_threshold",
            12,
            "at most 1000000",
        ),
        (
            key("rollups", "{daily_retention: \"100y\"}"),
            key("rollups", "{daily_retention: \"101y\"}"),
            "general.rollups.daily_retention",
            12,
            "at most \"100y\"",
        ),
        (
            line("- \"5d\": warning", "- \"100y\": warning"),
            line("- \"5d\": warning", "- \"1000000c\": warning"),
            "ssl.thresholds[1]",
            17,
            "at most \"100y\"",
        ),
    ];
    for (at_bound, beyond, path, line, message) in &cases {
        load(at_bound).unwrap_or_else(|e| panic!("{path} at its bound: {e}"));
        assert_one_error(beyond, *line, path, message);
    }
}

#[test]
fn website_timings_are_bounded_like_the_defaults() {
    let site = |key: &str, value: &str| {
        let website = WEBSITE.replacen("    paths:", &format!("    {key}: {value}\n    paths:"), 1);
        config(&[], &website)
    };
    for key in ["frequency", "recheck_delay", "reminder_interval"] {
        load(&site(key, "\"1y\"")).unwrap_or_else(|e| panic!("{key}: {e}"));
        let path = format!("websites[0].{key}");
        assert_one_error(&site(key, "\"1000000c\""), 24, &path, "at most \"1y\"");
    }
    load(&site("retry_before_notification", "1000")).unwrap();
    assert_one_error(
        &site("retry_before_notification", "1001"),
        24,
        "websites[0].retry_before_notification",
        "at most 1000",
    );
}

#[test]
fn a_maintenance_window_too_long_to_count_is_an_error_not_a_panic() {
    let window = |duration: &str| {
        format!(
            "{}maintenance:\n  - {{start: \"2026-12-24 22:00\", duration: \"{duration}\"}}\n",
            config(&[], WEBSITE)
        )
    };
    load(&window("100y")).unwrap_or_else(|e| panic!("{e}"));
    assert_one_error(
        &window("1000000c"),
        29,
        "maintenance[0].duration",
        "at most \"100y\"",
    );
}
