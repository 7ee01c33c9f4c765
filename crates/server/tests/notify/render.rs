//! `render` for the notices that are not one alert: a summary of many domains and the system
//! messages, whose shape differs (no items, a page link rather than a result).

use argos_checks::Severity;
use argos_server::notify::gotify::Gotify;
use argos_server::notify::matrix::{self, Matrix};
use argos_server::notify::ntfy::Ntfy;
use argos_server::notify::slack::Slack;
use argos_server::notify::webhook;
use argos_server::store::AlertKind;
use serde_json::json;

use crate::support::{down, summary, system};

fn url(s: &str) -> url::Url {
    url::Url::parse(s).unwrap()
}

fn json_of(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).unwrap()
}

#[test]
fn a_summary_lists_every_alert_and_links_the_alerts_page() {
    let notice = summary();

    assert_eq!(
        notice.title,
        "❌ 3 domains changed: 1 critical, 1 warning, 1 ok"
    );
    assert_eq!(
        notice.text,
        "❌ a.example (IPv4) status-is: ok → critical\n\
         ⚠️ b.example (IPv4) status-is: ok → warning\n\
         ✅ c.example (IPv4) status-is: critical → ok\n\
         \n\
         All alerts: https://argos.example/alerts\n"
    );
    let gotify = Gotify {
        url: url("https://g.example/"),
        tokens: vec![],
    };
    let post = gotify.render("tok", &notice);
    assert_eq!(post.url.as_str(), "https://g.example/message");
    assert_eq!(
        json_of(&post.body),
        json!({
            "title": notice.title,
            "message": notice.markdown,
            "priority": 9,
            "extras": {
                "client::display": {"contentType": "text/markdown"},
                "client::notification": {"click": {"url": "https://argos.example/alerts"}},
            },
        })
    );
    let hook = webhook::body(&notice);
    assert_eq!(hook["kind"], "summary");
    assert_eq!(hook["severity"], "critical");
    let ids: Vec<i64> = hook["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2, 3]);
}

#[test]
fn a_system_message_has_no_alerts_and_keeps_its_emoji_tag_on_ntfy() {
    let notice = system(
        AlertKind::NoAgent,
        Severity::Critical,
        "No agent has leased or reported anything for 10 minute(s).",
    );

    assert_eq!(
        notice.title,
        "No agent has been seen within the last 10 minutes"
    );
    assert_eq!(
        notice.text,
        "No agent has leased or reported anything for 10 minute(s).\n\nAgents: https://argos.example/agents\n"
    );
    let ntfy = Ntfy {
        url: url("https://ntfy.example/"),
        topic: "ops".into(),
        token: None,
    };
    let post = ntfy.render(&notice);
    assert!(post.headers.iter().all(|(n, _)| n != "authorization"));
    assert_eq!(
        json_of(&post.body),
        json!({
            "topic": "ops",
            "title": "No agent has been seen within the last 10 minutes",
            "message": notice.markdown,
            "markdown": true,
            "priority": 5,
            "tags": ["x", "argos"],
            "click": "https://argos.example/agents",
        })
    );
    let hook = webhook::body(&notice);
    assert_eq!(hook["kind"], "no-agent");
    assert_eq!(hook["alerts"], json!([]));
}

#[test]
fn a_recovery_is_low_priority_and_green() {
    let back = system(
        AlertKind::AgentBack,
        Severity::Ok,
        "An agent was seen at 2026-12-02 10:00:00 UTC.",
    );
    let gotify = Gotify {
        url: url("https://g.example/"),
        tokens: vec![],
    };
    assert_eq!(json_of(&gotify.render("t", &back).body)["priority"], 1);
    let slack = Slack {
        url: url("https://hooks.example/x"),
    };
    let body = json_of(&slack.render(&back).body);
    assert_eq!(body["attachments"][0]["color"], "#2e7d32");
    assert_eq!(body["text"], "An Argos agent is back");
}

#[test]
fn matrix_transactions_are_stable_for_alerts_and_fresh_for_system_messages() {
    let room = Matrix {
        homeserver: url("https://m.example/"),
        room_id: "!r:m.example".into(),
        access_token: "t".into(),
    };
    assert_eq!(
        matrix::transaction_id(&down()),
        matrix::transaction_id(&down())
    );
    assert_ne!(
        matrix::transaction_id(&down()),
        matrix::transaction_id(&summary())
    );
    let test = system(AlertKind::Test, Severity::Warning, "This is a test alert.");
    assert_ne!(matrix::transaction_id(&test), matrix::transaction_id(&test));
    let post = room.render_as(&test, "argos-txn");
    assert_eq!(post.method, "PUT");
    assert_eq!(
        post.url.as_str(),
        "https://m.example/_matrix/client/v3/rooms/!r:m.example/send/m.room.message/argos-txn"
    );
    assert_eq!(
        post.headers,
        [
            ("content-type".to_owned(), "application/json".to_owned()),
            ("authorization".to_owned(), "Bearer t".to_owned()),
        ]
    );
    let html = json_of(&post.body)["formatted_body"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        html,
        "<h1>⚠️ Test alert</h1>\n<p>This is a test alert.</p>\n<p><a href=\"https://argos.example/agents\">Open in Argos</a></p>\n"
    );
}
