//! The alerting keys: channels, routing to them, policies, maintenance windows — broken
//! values with their file, line and path, and good ones read as meant.

use std::time::Duration;

use super::{WEBSITE, assert_one_error, config, load};
use argos_server::config::Recipient;

/// `general` lines after `no_agent: [local]` (line 11), so new keys start at line 12.
fn general(lines: &str) -> String {
    config(
        &[("no_agent: [local]", &format!("no_agent: [local]\n{lines}"))],
        WEBSITE,
    )
}

#[test]
fn alerting_keys_report_file_line_and_path() {
    let cases: &[(String, usize, &str, &str)] = &[
        (
            config(
                &[("critical: [local]", "critical: [\"webhook:ops\"]")],
                WEBSITE,
            ),
            9,
            "general.alerts.critical[0]",
            "webhook \"ops\" needs a general.webhooks section defining it",
        ),
        (
            general("  webhooks:\n    team: {url: \"https://h.example/x\"}\n")
                .replace("warning: [local]", "warning: [\"webhook:ops\"]"),
            8,
            "general.alerts.warning[0]",
            "webhook \"ops\" is not defined in general.webhooks (defined names: team)",
        ),
        (
            config(&[("ok: [local]", "ok: [\"pager\"]")], WEBSITE),
            7,
            "general.alerts.ok[0]",
            "unknown recipient \"pager\"",
        ),
        (
            general("  ntfy:\n    ops: {topic: alerts}\n"),
            13,
            "general.ntfy.ops.url",
            "missing (this key is required)",
        ),
        (
            general(
                "  matrix:\n    ops: {homeserver: \"https://m.example\", room_id: \"#ops:m.example\", access_token: t}\n",
            ),
            13,
            "general.matrix.ops.room_id",
            "is not a room id",
        ),
        (
            general("  slack:\n    ops: {url: \"ftp://x.example/hook\"}\n"),
            13,
            "general.slack.ops.url",
            "must be an http:// or https:// URL",
        ),
        (
            general(
                "  webhooks:\n    ops:\n      url: \"https://h.example/\"\n      headers: {\"Bad Header\": x}\n",
            ),
            15,
            "general.webhooks.ops.headers.Bad Header",
            "not a valid header name",
        ),
        (
            general("  webhooks:\n    \"a b\": {url: \"https://h.example/\"}\n"),
            13,
            "general.webhooks.a b",
            "is not a usable name",
        ),
        (
            general("  recovery_threshold: 0\n"),
            12,
            "general.recovery_threshold",
            "must be at least 1",
        ),
        (
            general("  reminder_interval: 60\n"),
            12,
            "general.reminder_interval",
            "a duration needs a unit",
        ),
        (
            general("  public_url: \"argos.example.org\"\n"),
            12,
            "general.public_url",
            "is not a valid URL",
        ),
        (
            general("  alert_storm_threshold: -3\n"),
            12,
            "general.alert_storm_threshold",
            "must be between 0",
        ),
        (
            config(
                &[],
                &WEBSITE.replace("    paths:", "    recovery_threshold: 0\n    paths:"),
            ),
            24,
            "websites[0].recovery_threshold",
            "must be at least 1",
        ),
    ];
    for (text, line, path, message) in cases {
        assert_one_error(text, *line, path, message);
    }
}

fn with_maintenance(window: &str) -> String {
    format!("{}maintenance:\n{window}", config(&[], WEBSITE))
}

#[test]
fn maintenance_windows_report_file_line_and_path() {
    let cases: &[(&str, usize, &str, &str)] = &[
        (
            "  - {start: \"2026-12-24 22:00\", end: \"2026-12-24 21:00\"}\n",
            29,
            "maintenance[0].end",
            "ends before it starts",
        ),
        (
            "  - {start: \"2026-12-24 22:00\"}\n",
            29,
            "maintenance[0].end",
            "needs either `end` or `duration`",
        ),
        (
            "  - {start: \"Christmas\", duration: \"1h\"}\n",
            29,
            "maintenance[0].start",
            "is not a date and time",
        ),
        (
            "  - {days: [sun], start: \"03:00\", duration: \"1h\", timezone: \"Mars/Olympus\"}\n",
            29,
            "maintenance[0].timezone",
            "unknown time zone",
        ),
        (
            "  - {days: [sunday, funday], start: \"03:00\", duration: \"1h\"}\n",
            29,
            "maintenance[0].days[1]",
            "is not a day",
        ),
        (
            "  - {days: [sun], start: \"3am\", duration: \"1h\"}\n",
            29,
            "maintenance[0].start",
            "is not a time of day",
        ),
        (
            "  - {days: [sun], start: \"03:00\", duration: \"8d\"}\n",
            29,
            "maintenance[0].duration",
            "less than a week",
        ),
    ];
    for (window, line, path, message) in cases {
        assert_one_error(&with_maintenance(window), *line, path, message);
    }
}

#[test]
fn alerting_settings_are_read_as_meant() {
    let text = general(
        "  public_url: \"https://argos.example.org/\"\n  recovery_threshold: 2\n  reminder_interval: \"1h\"\n  alert_storm_threshold: 25\n  ntfy:\n    ops: {url: \"https://ntfy.example\", topic: argos, token: tk}\n",
    )
    .replace("critical: [local]", "critical: [local, \"ntfy:ops\"]");
    let text = format!(
        "{}maintenance:\n  - name: Backups\n    days: [sat, sun]\n    start: \"03:00\"\n    duration: \"90m\"\n    timezone: Europe/Paris\n    domains: [\"https://example.org\", \"nowhere.example\"]\n",
        text.replace(
            "    paths:",
            "    overwrite_alerts_recipients: []\n    reminder_interval: \"30m\"\n    paths:"
        )
    );
    let c = load(&text).unwrap_or_else(|e| panic!("{e}"));
    let g = &c.general;
    assert_eq!(
        g.public_url.as_ref().map(|u| u.as_str()),
        Some("https://argos.example.org/")
    );
    assert_eq!((g.recovery_threshold, g.alert_storm_threshold), (2, 25));
    assert_eq!(g.reminder_interval, Some(Duration::from_secs(3600)));
    assert_eq!(
        g.alerts.critical,
        [Recipient::Local, Recipient::Ntfy("ops".into())]
    );
    assert_eq!(g.ntfy["ops"].token.as_deref(), Some("tk"));
    let w = &c.websites[0];
    assert_eq!(w.overwrite_alerts_recipients, Some(vec![]), "muted");
    assert_eq!(
        (w.recovery_threshold, w.reminder_interval),
        (2, Some(Duration::from_secs(1800)))
    );
    assert_eq!(c.maintenance.len(), 1);
    assert_eq!(
        c.maintenance[0].domains,
        ["https://example.org/", "nowhere.example"]
    );
    // A listed domain that no website has is a warning at its line.
    let w = c
        .warnings
        .iter()
        .find(|w| w.path == "maintenance[0].domains[1]")
        .expect("a warning");
    assert!(w.message.contains("not the domain of any website"), "{w}");
}
