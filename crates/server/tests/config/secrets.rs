//! A broken secret is reported with its file, line and path, never with its value:
//! `check-config` prints problems, and the server logs them at start-up and on reload.

use super::{WEBSITE, config, problems};

/// `general` lines after `no_agent: [local]` (line 11), so new keys start at line 12.
fn general(lines: &str) -> String {
    config(
        &[("no_agent: [local]", &format!("no_agent: [local]\n{lines}"))],
        WEBSITE,
    )
}

#[test]
fn no_problem_message_repeats_a_secret() {
    let db = |url: &str| {
        config(
            &[("url: \"sqlite:///argos.db\"", &format!("url: \"{url}\""))],
            WEBSITE,
        )
    };
    let cases: Vec<(String, &str)> = vec![
        (db("mysql://argos:Sup3rS3cret@db/argos"), "general.db.url"),
        (
            db("postgresql://argos:Sup3rS3cret@[::1:5432/argos"),
            "general.db.url",
        ),
        (
            config(
                &[(
                    "  db:\n    url: \"sqlite:///argos.db\"",
                    "  db: \"postgresql://argos:Sup3rS3cret@db/argos\"",
                )],
                WEBSITE,
            ),
            "general.db",
        ),
        (
            config(&[("\"0123456789abcdef\"", "31415926535")], WEBSITE),
            "general.cookie_secret",
        ),
        (
            general(
                "  mail:\n    mailfrom: \"argos@example.org\"\n    addresses: [\"ops@example.org\"]\n    auth: {login: argos, password: 31415926535}",
            ),
            "general.mail.auth.password",
        ),
        (
            general("  gotify:\n    - {url: \"https://g.example\", tokens: \"Sup3rS3cret\"}"),
            "general.gotify[0].tokens",
        ),
        (
            general("  webhooks:\n    ops: {url: \"https://h.example/in\", secret: 31415926535}"),
            "general.webhooks.ops.secret",
        ),
        (
            general(
                "  webhooks:\n    ops: {url: \"https://h.example/in\", headers: {Authorization: 31415926535}}",
            ),
            "general.webhooks.ops.headers.Authorization",
        ),
        (
            general(
                "  slack:\n    team: {url: \"ftp://hooks.example/services/T0/B0/Sup3rS3cret\"}",
            ),
            "general.slack.team.url",
        ),
        (
            general(
                "  slack:\n    team: {url: \"https://hooks example/services/T0/B0/Sup3rS3cret\"}",
            ),
            "general.slack.team.url",
        ),
        (
            general("  apprise:\n    ops: [\"Sup3rS3cret\"]"),
            "general.apprise.ops[0]",
        ),
        (
            general(
                "  matrix:\n    room: {homeserver: \"https://m.example\", room_id: \"!r:m.example\", access_token: 31415926535}",
            ),
            "general.matrix.room.access_token",
        ),
        (
            general(
                "  ldap:\n    uri: \"ldap://ldap.example\"\n    user_tree: \"ou=people,dc=example\"\n    user_attr: uid\n    bind_dn: \"cn=argos\"\n    bind_pwd: 31415926535",
            ),
            "general.ldap.bind_pwd",
        ),
        (
            config(
                &[("secrets: [token-1]", "secrets: \"Sup3rS3cret\"")],
                WEBSITE,
            ),
            "service.secrets",
        ),
        (
            general(
                "  ntfy:\n    ops: {url: \"https://n.example\", topic: t, token: !!int Sup3rS3cret}",
            ),
            "general.ntfy.ops.token",
        ),
    ];
    for (text, path) in &cases {
        let all = problems(text);
        assert!(
            all.iter().any(|p| p.path == *path),
            "no problem at {path}: {all:#?}"
        );
        for p in &all {
            let shown = p.to_string();
            assert!(
                !shown.contains("Sup3rS3cret") && !shown.contains("31415926535"),
                "{shown}"
            );
        }
    }
}
