//! Gotify, ntfy, webhook, Matrix and Slack against a recording receiver: the exact request
//! each sends, and how each failure is classified.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use argos_checks::Severity;
use argos_server::notify::gotify::{self, Gotify};
use argos_server::notify::matrix::Matrix;
use argos_server::notify::ntfy::Ntfy;
use argos_server::notify::slack::Slack;
use argos_server::notify::webhook::Webhook;
use argos_server::notify::{Channel, Notice};
use argos_server::store::AlertKind;
use axum::http::StatusCode;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use crate::support::{Got, Receiver, ctx, down, summary, system};

/// The Gotify keys of `got`, sorted (a message goes to every token at once).
fn keys(got: &[Got]) -> Vec<String> {
    let mut keys: Vec<String> = got
        .iter()
        .map(|g| g.header("x-gotify-key").unwrap_or_default().to_owned())
        .collect();
    keys.sort();
    keys
}

fn gotify_body(notice: &Notice, priority: u8) -> serde_json::Value {
    json!({
        "title": notice.title,
        "message": notice.markdown,
        "priority": priority,
        "extras": {
            "client::display": {"contentType": "text/markdown"},
            "client::notification": {"click": {"url": "https://argos.example/result/1007"}},
        },
    })
}

#[tokio::test]
async fn gotify_posts_once_per_token_with_the_key_in_a_header() {
    // Arrange: a server under a path prefix, two tokens.
    let rx = Receiver::ok().await;
    let server = Gotify {
        url: rx.url("/gotify/"),
        tokens: vec!["tok-a".into(), "tok-b".into()],
    };
    let notice = down();

    // Act
    let sent = Channel::Gotify(vec![server])
        .send(&ctx(), &notice, &[])
        .await;

    // Assert
    assert_eq!(sent, Ok(()));
    let got = rx.got();
    assert_eq!(keys(&got), ["tok-a", "tok-b"]);
    for req in &got {
        assert_eq!(
            (req.method.as_str(), req.path.as_str()),
            ("POST", "/gotify/message")
        );
        assert_eq!(req.header("content-type"), Some("application/json"));
        assert_eq!(req.json(), gotify_body(&notice, 9));
    }
}

#[tokio::test]
async fn a_failing_gotify_token_does_not_stop_the_others_and_a_retry_skips_the_served() {
    // Arrange: the first token's application is down (500) until `healed`.
    let healed = Arc::new(AtomicBool::new(false));
    let h = healed.clone();
    let rx = Receiver::answering(move |got| {
        if got.header("x-gotify-key") == Some("tok-first") && !h.load(Ordering::SeqCst) {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "database is locked".into(),
            )
        } else {
            (StatusCode::OK, "{}".into())
        }
    })
    .await;
    let server = Gotify {
        url: rx.url("/"),
        tokens: vec!["tok-first".into(), "tok-second".into()],
    };
    let channel = Channel::Gotify(vec![server.clone()]);
    let notice = down();

    // Act: the first attempt.
    let err = channel.send(&ctx(), &notice, &[]).await.unwrap_err();

    // Assert: the second token got it; the error is transient and names it as done.
    assert!(!err.permanent, "{err:?}");
    assert_eq!(err.done, vec![gotify::target(&server, "tok-second")]);
    assert!(err.message.contains("HTTP 500") && err.message.contains("database is locked"));
    assert!(!err.message.contains("tok-first"), "{}", err.message);
    assert_eq!(keys(&rx.got()), ["tok-first", "tok-second"]);

    // Act: the retry, with what was done.
    healed.store(true, Ordering::SeqCst);
    let retried = channel.send(&ctx(), &notice, &err.done).await;

    // Assert: only the first token was posted again.
    assert_eq!(retried, Ok(()));
    let got = rx.got();
    assert_eq!(got.len(), 3);
    assert_eq!(keys(&got[2..]), ["tok-first"]);
}

#[tokio::test]
async fn an_unreachable_gotify_server_does_not_stop_the_next() {
    let closed = argos_testkit::closed_port();
    let down_server = Gotify {
        url: url::Url::parse(&format!("http://{closed}/")).unwrap(),
        tokens: vec!["tok-lost".into()],
    };
    let rx = Receiver::ok().await;
    // A token listed twice is one target: posted once.
    let up_server = Gotify {
        url: rx.url("/"),
        tokens: vec!["tok-up".into(), "tok-up".into()],
    };
    let channel = Channel::Gotify(vec![down_server, up_server.clone()]);

    let err = channel.send(&ctx(), &down(), &[]).await.unwrap_err();

    assert!(!err.permanent, "{err:?}");
    assert_eq!(err.done, [gotify::target(&up_server, "tok-up")]);
    assert_eq!(keys(&rx.got()), ["tok-up"]);
}

#[tokio::test]
async fn a_refused_gotify_token_is_permanent_and_never_named() {
    let rx = Receiver::answering(|_| {
        (
            StatusCode::UNAUTHORIZED,
            r#"{"error":"Unauthorized","errorCode":401}"#.into(),
        )
    })
    .await;
    let channel = Channel::Gotify(vec![Gotify {
        url: rx.url("/"),
        tokens: vec!["AbCdEf0123456".into()],
    }]);

    let err = channel.send(&ctx(), &down(), &[]).await.unwrap_err();

    assert!(err.permanent, "{err:?}");
    assert!(err.done.is_empty());
    assert!(err.message.contains("401"), "{}", err.message);
    assert!(!err.message.contains("AbCdEf0123456"), "{}", err.message);
}

#[tokio::test]
async fn a_refused_connection_is_transient() {
    let closed = argos_testkit::closed_port();
    let url = url::Url::parse(&format!("http://{closed}/")).unwrap();
    let channels = [
        Channel::Gotify(vec![Gotify {
            url: url.clone(),
            tokens: vec!["t0ken-123".into()],
        }]),
        Channel::Slack(Slack {
            url: url.join("services/T01234567/B07654321/s3cretpath").unwrap(),
        }),
        Channel::Ntfy(Ntfy {
            url: url.clone(),
            topic: "alerts".into(),
            token: None,
        }),
    ];
    for channel in channels {
        let err = channel.send(&ctx(), &down(), &[]).await.unwrap_err();
        assert!(!err.permanent, "{err:?}");
        assert!(err.message.contains("could not connect"), "{}", err.message);
        for secret in ["t0ken-123", "s3cretpath", "T01234567"] {
            assert!(!err.message.contains(secret), "{}", err.message);
        }
    }
}

#[tokio::test]
async fn ntfy_publishes_json_to_the_server_root_with_a_bearer_token() {
    let rx = Receiver::ok().await;
    let ntfy = Ntfy {
        url: rx.url("/"),
        topic: "argos-alerts".into(),
        token: Some("tk_secret".into()),
    };
    let notice = down();

    assert_eq!(Channel::Ntfy(ntfy).send(&ctx(), &notice, &[]).await, Ok(()));

    let got = rx.got();
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].method.as_str(), got[0].path.as_str()),
        ("POST", "/")
    );
    assert_eq!(got[0].header("authorization"), Some("Bearer tk_secret"));
    assert_eq!(
        got[0].json(),
        json!({
            "topic": "argos-alerts",
            "title": "❌ example.org (IPv4): status critical",
            "message": notice.markdown,
            "markdown": true,
            "priority": 5,
            "tags": ["argos"],
            "click": "https://argos.example/result/1007",
        })
    );
}

#[tokio::test]
async fn a_webhook_carries_its_headers_and_a_signature_of_the_exact_body() {
    let rx = Receiver::ok().await;
    let hook = Webhook {
        url: rx.url("/hooks/argos?source=argos"),
        headers: vec![("X-Api-Key".into(), "key-1".into())],
        secret: Some("shh, it's a secret".into()),
    };
    let notice = down();

    assert_eq!(
        Channel::Webhook(hook).send(&ctx(), &notice, &[]).await,
        Ok(())
    );

    let got = rx.got();
    assert_eq!(got.len(), 1);
    let req = &got[0];
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("POST", "/hooks/argos?source=argos")
    );
    assert_eq!(req.header("x-api-key"), Some("key-1"));
    // The receiver's check, written independently: HMAC-SHA256 of the raw body.
    let mut mac = Hmac::<Sha256>::new_from_slice(b"shh, it's a secret").unwrap();
    mac.update(&req.body);
    let want: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        req.header("x-argos-signature"),
        Some(format!("sha256={want}").as_str())
    );
    assert_eq!(
        req.json(),
        json!({
            "version": 1,
            "kind": "alert",
            "title": "❌ example.org (IPv4): status critical",
            "text": notice.text,
            "severity": "critical",
            "link": "https://argos.example/result/1007",
            "alerts": [{
                "id": 7,
                "kind": "change",
                "domain": "example.org",
                "url": "https://example.org/",
                "check": "status-is",
                "ip_version": "4",
                "previous": "ok",
                "severity": "critical",
                "since": "2026-12-02T10:00:00Z",
                "at": "2026-12-02T10:00:00Z",
                "detail": "expected 200, got 503",
                "result_url": "https://argos.example/result/1007",
                "task_url": "https://argos.example/task/107/results#1007",
            }],
        })
    );
}

#[tokio::test]
async fn a_configured_content_type_replaces_ours_rather_than_doubling_it() {
    let rx = Receiver::ok().await;
    let hook = Webhook {
        url: rx.url("/"),
        headers: vec![("Content-Type".into(), "application/vnd.argos+json".into())],
        secret: None,
    };

    assert_eq!(
        Channel::Webhook(hook).send(&ctx(), &down(), &[]).await,
        Ok(())
    );

    let got = rx.got();
    let types: Vec<_> = got[0].headers.get_all("content-type").iter().collect();
    assert_eq!(types, ["application/vnd.argos+json"]);
    assert_eq!(got[0].header("x-argos-signature"), None);
}

#[tokio::test]
async fn matrix_puts_a_message_whose_transaction_survives_retries() {
    let rx = Receiver::ok().await;
    let room = Matrix {
        homeserver: rx.url("/"),
        room_id: "!abcdef:example.org".into(),
        access_token: "syt_bot_token".into(),
    };
    let channel = Channel::Matrix(room);
    let notice = down();

    assert_eq!(channel.send(&ctx(), &notice, &[]).await, Ok(()));
    assert_eq!(channel.send(&ctx(), &notice, &[]).await, Ok(()));

    let got = rx.got();
    assert_eq!(got.len(), 2);
    let req = &got[0];
    assert_eq!(req.method, "PUT");
    let prefix = "/_matrix/client/v3/rooms/!abcdef:example.org/send/m.room.message/argos-";
    assert!(req.path.starts_with(prefix), "{}", req.path);
    assert_eq!(got[1].path, req.path, "a retry is the same transaction");
    assert_eq!(req.header("authorization"), Some("Bearer syt_bot_token"));
    let body = req.json();
    assert_eq!(body["msgtype"], "m.text");
    assert_eq!(body["format"], "org.matrix.custom.html");
    assert_eq!(
        body["body"],
        format!("❌ example.org (IPv4): status critical\n\n{}", notice.text)
    );
    let html = body["formatted_body"].as_str().unwrap();
    assert!(
        html.starts_with("<h1>❌ example.org (IPv4): status critical</h1>"),
        "{html}"
    );
    assert!(
        html.contains("<a href=\"https://argos.example/result/1007\">result</a>"),
        "{html}"
    );
}

#[tokio::test]
async fn two_matrix_test_messages_are_two_transactions() {
    // The same words twice (a test alert sent again): the homeserver must not drop the second.
    let rx = Receiver::ok().await;
    let channel = Channel::Matrix(Matrix {
        homeserver: rx.url("/matrix"),
        room_id: "!abcdef:example.org".into(),
        access_token: "syt_bot_token".into(),
    });
    let notice = system(AlertKind::Test, Severity::Critical, "This is a test alert.");

    for _ in 0..2 {
        assert_eq!(channel.send(&ctx(), &notice, &[]).await, Ok(()));
    }

    let got = rx.got();
    assert!(
        got[0].path.starts_with("/matrix/_matrix/client/v3/rooms/"),
        "{}",
        got[0].path
    );
    assert_ne!(got[0].path, got[1].path);
}

#[tokio::test]
async fn slack_posts_the_title_and_a_coloured_attachment() {
    let rx = Receiver::ok().await;
    let slack = Slack {
        url: rx.url("/services/T01234567/B07654321/XXXXXXXXXXXXXXXXXXXXXXXX"),
    };
    let notice = summary();

    assert_eq!(
        Channel::Slack(slack).send(&ctx(), &notice, &[]).await,
        Ok(())
    );

    let got = rx.got();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].method, "POST");
    assert_eq!(
        got[0].path,
        "/services/T01234567/B07654321/XXXXXXXXXXXXXXXXXXXXXXXX"
    );
    assert_eq!(
        got[0].json(),
        json!({
            "text": "❌ 3 domains changed: 1 critical, 1 warning, 1 ok",
            "username": "Argos",
            "attachments": [{
                "fallback": "❌ 3 domains changed: 1 critical, 1 warning, 1 ok",
                "color": "#c62828",
                "text": notice.text,
                "title": "Open in Argos",
                "title_link": "https://argos.example/alerts",
            }],
        })
    );
}

#[tokio::test]
async fn what_a_receiver_echoes_of_a_secret_stays_out_of_the_error() {
    // A 404 page quoting the request (as Express does), and a body quoting the token.
    let rx = Receiver::answering(|got| {
        let echo = format!(
            "Cannot {} {} (authorization: {})",
            got.method,
            got.path,
            got.header("authorization").unwrap_or("-")
        );
        (StatusCode::NOT_FOUND, echo)
    })
    .await;
    let path = "/services/T01234567/B07654321/XXXXXXXXXXXXXXXXXXXXXXXX";
    let slack = Channel::Slack(Slack { url: rx.url(path) });
    let ntfy = Channel::Ntfy(Ntfy {
        url: rx.url("/"),
        topic: "alerts".into(),
        token: Some("tk_AbCdEf012345".into()),
    });

    for (channel, secrets) in [
        (slack, vec![path, "XXXXXXXXXXXXXXXXXXXXXXXX", "T01234567"]),
        (ntfy, vec!["tk_AbCdEf012345"]),
    ] {
        let err = channel.send(&ctx(), &down(), &[]).await.unwrap_err();
        assert!(err.permanent, "{err:?}");
        assert!(
            err.message.starts_with("HTTP 404 Not Found: Cannot POST"),
            "{}",
            err.message
        );
        for secret in secrets {
            assert!(!err.message.contains(secret), "{}", err.message);
        }
    }
}

#[tokio::test]
async fn rate_limits_and_timeouts_from_a_receiver_are_transient() {
    for status in [
        StatusCode::TOO_MANY_REQUESTS,
        StatusCode::REQUEST_TIMEOUT,
        StatusCode::BAD_GATEWAY,
    ] {
        let rx = Receiver::answering(move |_| (status, String::new())).await;
        let channel = Channel::Slack(Slack {
            url: rx.url("/hook"),
        });
        let err = channel.send(&ctx(), &down(), &[]).await.unwrap_err();
        assert!(!err.permanent, "{status}: {err:?}");
        assert_eq!(err.message, format!("HTTP {status}"));
    }
}
