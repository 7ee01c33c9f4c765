//! Apprise through the real `apprise` tool (PyPI) delivering to a local receiver with its
//! `json://` scheme, and through an Apprise API server (stood in for by a receiver).

use std::os::unix::fs::PermissionsExt;

use argos_server::notify::Channel;
use argos_server::notify::apprise::{self, Apprise};
use axum::http::StatusCode;
use serde_json::json;

use crate::support::{Receiver, ctx, down};

/// Whether the `apprise` tool runs: FAILS with `CI=true` when it does not (CI must run these
/// tests), and skips with a note elsewhere.
async fn apprise_tool() -> bool {
    if apprise::tool_available(apprise::PROGRAM).await {
        return true;
    }
    assert_ne!(
        std::env::var("CI").as_deref(),
        Ok("true"),
        "CI=true but the `apprise` command is missing: the Apprise tests must run in CI (see .ci/run)"
    );
    eprintln!("no `apprise` command (python3 -m pip install apprise): skipping");
    false
}

#[tokio::test]
async fn the_apprise_tool_delivers_to_every_url_of_the_group() {
    if !apprise_tool().await {
        return;
    }
    let rx = Receiver::ok().await;
    let port = rx.addr.port();
    let group = Apprise::new(
        vec![
            format!("json://127.0.0.1:{port}/first"),
            format!("json://bot:s3cret@127.0.0.1:{port}/second"),
        ],
        None,
    );
    let notice = down();

    assert_eq!(
        Channel::Apprise(group).send(&ctx(), &notice, &[]).await,
        Ok(())
    );

    let mut got = rx.got();
    got.sort_by(|a, b| a.path.cmp(&b.path));
    let paths: Vec<&str> = got.iter().map(|g| g.path.as_str()).collect();
    assert_eq!(paths, ["/first", "/second"]);
    for g in &got {
        assert_eq!(g.method, "POST");
        let body = g.json();
        assert_eq!(
            body["title"],
            "[Argos] ❌ example.org (IPv4): status critical"
        );
        assert_eq!(body["message"], notice.text.trim_end());
        assert_eq!(body["type"], "failure");
    }
    // Basic auth from the second URL's credentials ("bot:s3cret").
    assert_eq!(
        got[1].header("authorization"),
        Some("Basic Ym90OnMzY3JldA==")
    );
}

#[tokio::test]
async fn an_apprise_failure_is_reported_without_the_urls() {
    if !apprise_tool().await {
        return;
    }
    let closed = argos_testkit::closed_port();
    for url in [
        format!("json://bot:s3cret@127.0.0.1:{}/hook", closed.port()),
        "bogus://s3cret@nowhere".to_owned(),
    ] {
        let group = Apprise::new(vec![url], None);

        let err = Channel::Apprise(group)
            .send(&ctx(), &down(), &[])
            .await
            .unwrap_err();

        assert!(!err.permanent, "{err:?}");
        assert!(
            err.message.starts_with("apprise exited with"),
            "{}",
            err.message
        );
        assert!(!err.message.contains("s3cret"), "{}", err.message);
    }
}

#[tokio::test]
async fn the_urls_go_through_the_environment_not_the_command_line() {
    // A stand-in for the tool that writes down its arguments and APPRISE_URLS.
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("apprise");
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{0}/args'\nprintf '%s' \"$APPRISE_URLS\" > '{0}/env'\n",
        dir.path().display()
    );
    std::fs::write(&program, script).unwrap();
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut group = Apprise::new(
        vec!["json://u:p@h/a".into(), "mailtos://u:p@h?to=a@b,c@d".into()],
        None,
    );
    group.program = program.display().to_string();
    let notice = down();

    assert_eq!(
        Channel::Apprise(group).send(&ctx(), &notice, &[]).await,
        Ok(())
    );

    let args = std::fs::read_to_string(dir.path().join("args")).unwrap();
    assert!(!args.contains("u:p@h"), "{args}");
    assert!(
        args.starts_with(&format!(
            "-v\n--title=[Argos] {}\n--body=URL:",
            notice.title
        )),
        "{args}"
    );
    assert!(args.ends_with("--notification-type=failure\n"), "{args}");
    let env = std::fs::read_to_string(dir.path().join("env")).unwrap();
    assert_eq!(env, "json://u:p@h/a mailtos://u:p@h?to=a@b,c@d");
}

#[tokio::test]
async fn the_api_server_gets_the_urls_title_body_and_type() {
    let rx = Receiver::ok().await;
    let group = Apprise::new(
        vec!["json://u:p@h/a".into(), "tgram://bot/chat".into()],
        Some(rx.url("/apprise")),
    );
    let notice = down();

    assert_eq!(
        Channel::Apprise(group).send(&ctx(), &notice, &[]).await,
        Ok(())
    );

    let got = rx.got();
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].method.as_str(), got[0].path.as_str()),
        ("POST", "/apprise/notify/")
    );
    assert_eq!(
        got[0].json(),
        json!({
            "urls": "json://u:p@h/a,tgram://bot/chat",
            "title": "[Argos] ❌ example.org (IPv4): status critical",
            "body": notice.text,
            "type": "failure",
        })
    );
}

#[tokio::test]
async fn the_api_servers_failed_dependency_is_retried_and_its_words_hide_the_urls() {
    for (status, permanent) in [
        (StatusCode::FAILED_DEPENDENCY, false),
        (StatusCode::BAD_REQUEST, true),
    ] {
        let rx = Receiver::answering(move |got| {
            let urls = got.json()["urls"].as_str().unwrap_or_default().to_owned();
            (status, format!("Failed to send to {urls}"))
        })
        .await;
        let group = Apprise::new(vec!["json://u:s3cret@h/a".into()], Some(rx.url("/")));

        let err = Channel::Apprise(group)
            .send(&ctx(), &down(), &[])
            .await
            .unwrap_err();

        assert_eq!(err.permanent, permanent, "{status}: {err:?}");
        assert!(
            err.message.starts_with(&format!("HTTP {status}")),
            "{}",
            err.message
        );
        assert!(!err.message.contains("s3cret"), "{}", err.message);
    }
}
