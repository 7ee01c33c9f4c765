//! LDAP logins through HTTP against a real `slapd` (see `argos_testkit::ldap`): right and wrong
//! passwords, empty passwords on a directory that accepts anonymous binds, with and without
//! `user_filter`, a service account for the search, LDAP injection, several entries for one
//! login, the directory being down, and the local users table staying out of it.
//!
//! Each test starts its own slapd; without slapd they are skipped (they FAIL with `CI=true`).

use argos_server::auth::{ldap, password};
use argos_server::config::Ldap;
use argos_testkit::ldap::{SERVICE_DN, SERVICE_PASSWORD, Search, Slapd, USERS};
use chrono::Utc;
use ldap3::{LdapConnAsync, Scope};
use reqwest::StatusCode;

use crate::helpers::{Browser, TestApp, config_with, location};

const SITE: &str = "  - domain: \"http://127.0.0.1:9\"\n    paths:\n      - path: \"/\"\n        checks:\n          - status-is: 200\n";

/// The `general.ldap` of a test: `uid` logins under [`USERS`] on `slapd`.
fn settings(uri: &str) -> Ldap {
    Ldap {
        uri: uri.to_owned(),
        user_tree: USERS.to_owned(),
        bind_dn: None,
        bind_pwd: None,
        user_attr: "uid".to_owned(),
        user_filter: None,
    }
}

/// The config of a server logging users in against `ldap` (`unauthenticated_access` unset).
fn ldap_yaml(db_url: &str, ldap: &Ldap) -> String {
    let mut general = format!(
        "  # unauthenticated_access: unset\n  ldap:\n    uri: {:?}\n    user_tree: {:?}\n    user_attr: {:?}\n",
        ldap.uri, ldap.user_tree, ldap.user_attr
    );
    for (key, value) in [
        ("bind_dn", &ldap.bind_dn),
        ("bind_pwd", &ldap.bind_pwd),
        ("user_filter", &ldap.user_filter),
    ] {
        if let Some(v) = value {
            general.push_str(&format!("    {key}: {v:?}\n"));
        }
    }
    config_with(db_url, &general, SITE)
}

/// A server logging users in against `ldap`, with `unauthenticated_access` unset.
async fn ldap_app(ldap: &Ldap) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("argos.db").display());
    let app = TestApp::spawn(&ldap_yaml(&url, ldap), false).await;
    (app, dir)
}

/// Logs `user` in with a fresh browser: the status, and whether `/agents` then answers 200.
async fn try_login(app: &TestApp, user: &str, pw: &str) -> (StatusCode, bool) {
    let mut b = Browser::new(app);
    let (status, headers, _) = b.login(user, pw, "/agents").await;
    if status == StatusCode::SEE_OTHER {
        assert_eq!(location(&headers), "/agents", "{user}");
        assert!(b.cookies.contains_key("argos_session"), "{user}");
    } else {
        assert!(!b.cookies.contains_key("argos_session"), "{user}: {status}");
    }
    let (page, _, _) = b.get("/agents").await;
    (status, page == StatusCode::OK)
}

/// The result code of a simple bind of `dn` with `pw` on `uri`, from a plain LDAP client.
async fn bind_rc(uri: &str, dn: &str, pw: &str) -> u32 {
    let (conn, mut ldap) = LdapConnAsync::new(uri).await.unwrap();
    ldap3::drive!(conn);
    let rc = ldap.simple_bind(dn, pw).await.unwrap().rc;
    let _ = ldap.unbind().await;
    rc
}

#[tokio::test]
async fn ldap_right_password_logs_in_wrong_one_does_not() {
    let Some(slapd) = Slapd::start() else { return };
    eprintln!("slapd answered after {:?}", slapd.startup);
    // The search for alice also returns a continuation reference (as Active Directory does):
    // a login must count only the entries.
    let (conn, mut client) = LdapConnAsync::new(&slapd.uri()).await.unwrap();
    ldap3::drive!(conn);
    let (found, result) = client
        .search(USERS, Scope::Subtree, "(uid=alice)", vec!["1.1"])
        .await
        .unwrap()
        .success()
        .unwrap();
    assert_eq!(found.len(), 1, "alice");
    assert_eq!(result.refs.len(), 1, "and the reference: {:?}", result.refs);
    let _ = client.unbind().await;

    let cfg = settings(&slapd.uri());
    let (app, _dir) = ldap_app(&cfg).await;
    let mut b = Browser::new(&app);
    let (status, _, page) = b.login("alice", "nope", "/agents").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("Wrong user name or password."));
    assert!(!b.cookies.contains_key("argos_session"));
    assert!(b.get("/agents").await.0.is_redirection(), "still anonymous");

    let (status, headers, _) = b.login("alice", "wonderland", "/agents").await;
    assert_eq!(
        (status, location(&headers)),
        (StatusCode::SEE_OTHER, "/agents")
    );
    assert!(b.cookies.contains_key("argos_session"));
    let (status, _, page) = b.get("/agents").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("alice") && page.contains("Log out"));

    assert_eq!(
        try_login(&app, "bob", "builder").await,
        (StatusCode::SEE_OTHER, true)
    );
    assert_eq!(
        try_login(&app, "bob", "wonderland").await,
        (StatusCode::UNAUTHORIZED, false),
        "alice's password is not bob's"
    );
    assert_eq!(
        try_login(&app, "nobody", "wonderland").await,
        (StatusCode::UNAUTHORIZED, false)
    );
    // LDAP matches names regardless of case; the directory's spelling is what `user` returns.
    assert_eq!(
        ldap::user(&cfg, "ALICE", "wonderland")
            .await
            .unwrap()
            .as_deref(),
        Some("alice")
    );
    app.stop().await;
}

#[tokio::test]
async fn ldap_empty_password_never_authenticates_though_the_directory_binds_anonymously() {
    let Some(slapd) = Slapd::start() else { return };
    let alice = format!("uid=alice,{USERS}");
    // The directory itself takes a DN with an empty password as a successful anonymous bind
    // (the reference's flaw): only our guard stands between it and a login.
    assert_eq!(bind_rc(&slapd.uri(), &alice, "").await, 0, "anonymous bind");
    assert_eq!(
        bind_rc(&slapd.uri(), &alice, "nope").await,
        49,
        "invalidCredentials"
    );

    let cfg = settings(&slapd.uri());
    let (app, _dir) = ldap_app(&cfg).await;
    assert_eq!(
        try_login(&app, "alice", "").await,
        (StatusCode::UNAUTHORIZED, false)
    );
    // The LDAP module refuses by itself too, whoever calls it.
    assert!(!ldap::authenticate(&cfg, "alice", "").await.unwrap());
    assert!(
        ldap::authenticate(&cfg, "alice", "wonderland")
            .await
            .unwrap()
    );
    app.stop().await;

    // Nor is the service account bound without a password: that would be anonymous too.
    assert_eq!(
        bind_rc(&slapd.uri(), SERVICE_DN, "").await,
        0,
        "anonymous bind"
    );
    let cfg = Ldap {
        bind_dn: Some(SERVICE_DN.to_owned()),
        ..cfg
    };
    let err = ldap::authenticate(&cfg, "alice", "wonderland")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("bind_pwd"), "{err}");
    // And such a config is refused when it is loaded, at its line.
    let yaml = ldap_yaml("sqlite:///unused.db", &cfg);
    let loaded =
        argos_server::config::load_str(&yaml, std::path::Path::new("c.yaml"), &Default::default());
    let problems = loaded.expect_err("bind_dn without bind_pwd").to_string();
    assert!(
        problems.contains("general.ldap.bind_dn: bind_dn needs bind_pwd"),
        "{problems}"
    );
}

#[tokio::test]
async fn ldap_without_user_filter_logs_everyone_in() {
    let Some(slapd) = Slapd::start() else { return };
    let cfg = settings(&slapd.uri());
    assert_eq!(ldap::filter(&cfg, "carol"), "(&(uid=carol))", "no \"None\"");
    let (app, _dir) = ldap_app(&cfg).await;
    assert_eq!(
        try_login(&app, "alice", "wonderland").await,
        (StatusCode::SEE_OTHER, true)
    );
    assert_eq!(
        try_login(&app, "carol", "former-staff").await,
        (StatusCode::SEE_OTHER, true),
        "no filter excludes carol"
    );
    app.stop().await;
}

#[tokio::test]
async fn ldap_user_filter_excludes_a_user() {
    let Some(slapd) = Slapd::start() else { return };
    for user_filter in ["(!(employeeType=former))", "!(employeeType=former)"] {
        let cfg = Ldap {
            user_filter: Some(user_filter.to_owned()),
            ..settings(&slapd.uri())
        };
        let (app, _dir) = ldap_app(&cfg).await;
        assert_eq!(
            try_login(&app, "carol", "former-staff").await,
            (StatusCode::UNAUTHORIZED, false),
            "{user_filter}"
        );
        assert_eq!(
            try_login(&app, "alice", "wonderland").await,
            (StatusCode::SEE_OTHER, true),
            "{user_filter}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn ldap_service_account_does_the_search() {
    let Some(slapd) = Slapd::start_with(Search::BoundOnly) else {
        return;
    };
    // Anonymous clients may not search this directory...
    let (conn, mut client) = LdapConnAsync::new(&slapd.uri()).await.unwrap();
    ldap3::drive!(conn);
    let anonymous = client
        .search(USERS, Scope::Subtree, "(uid=alice)", vec!["1.1"])
        .await
        .unwrap();
    assert_eq!(anonymous.1.rc, 50, "insufficientAccessRights");
    assert!(anonymous.0.is_empty());
    let _ = client.unbind().await;

    // ... so without the service account the search fails: an error, not a wrong password.
    let (app, _dir) = ldap_app(&settings(&slapd.uri())).await;
    let mut b = Browser::new(&app);
    let (status, _, body) = b.login("alice", "wonderland", "/agents").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    app.stop().await;

    // A wrong service password is an error too.
    let cfg = Ldap {
        bind_dn: Some(SERVICE_DN.to_owned()),
        bind_pwd: Some("not-the-service-secret".to_owned()),
        ..settings(&slapd.uri())
    };
    let (app, _dir) = ldap_app(&cfg).await;
    let (status, _) = try_login(&app, "alice", "wonderland").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    app.stop().await;

    // With it, users log in (and wrong passwords are still wrong).
    let cfg = Ldap {
        bind_pwd: Some(SERVICE_PASSWORD.to_owned()),
        ..cfg
    };
    let (app, _dir) = ldap_app(&cfg).await;
    assert_eq!(
        try_login(&app, "alice", "wonderland").await,
        (StatusCode::SEE_OTHER, true)
    );
    assert_eq!(
        try_login(&app, "alice", "nope").await,
        (StatusCode::UNAUTHORIZED, false)
    );
    assert_eq!(
        try_login(&app, "alice", "").await,
        (StatusCode::UNAUTHORIZED, false)
    );
    app.stop().await;
}

#[tokio::test]
async fn ldap_injection_and_ambiguous_logins_do_not_authenticate() {
    let Some(slapd) = Slapd::start() else { return };
    let (app, _dir) = ldap_app(&settings(&slapd.uri())).await;
    // Unescaped, "al*", "alice)(uid=*" and "*)(uid=alice" would find alice's entry alone and
    // then bind as her with her password.
    for login in [
        "*",
        "al*",
        "alice)(uid=*",
        "*)(uid=alice",
        "alice)(|(uid=*",
        "alice\\",
        "alice\0",
    ] {
        assert_eq!(
            try_login(&app, login, "wonderland").await,
            (StatusCode::UNAUTHORIZED, false),
            "{login:?}"
        );
    }
    // Two entries answer to "twin", both with this password: neither is chosen.
    assert_eq!(
        try_login(&app, "twin", "twins").await,
        (StatusCode::UNAUTHORIZED, false)
    );
    // Six answer to objectClass=inetOrgPerson: the search stops at two (sizeLimitExceeded),
    // which is a refusal, not an error.
    let broad = Ldap {
        user_attr: "objectClass".to_owned(),
        ..settings(&slapd.uri())
    };
    assert!(
        !ldap::authenticate(&broad, "inetOrgPerson", "twins")
            .await
            .unwrap()
    );
    assert_eq!(
        try_login(&app, "alice", "wonderland").await,
        (StatusCode::SEE_OTHER, true)
    );
    app.stop().await;
}

#[tokio::test]
async fn ldap_directory_down_gives_an_error_page() {
    let Some(slapd) = Slapd::start() else { return };
    let (app, _dir) = ldap_app(&settings(&slapd.uri())).await;
    let mut logged_in = Browser::new(&app);
    assert_eq!(
        logged_in.login("alice", "wonderland", "/agents").await.0,
        StatusCode::SEE_OTHER
    );
    drop(slapd);

    let mut b = Browser::new(&app);
    let (status, _, body) = b.login("alice", "wonderland", "/agents").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        body.contains("The directory could not be reached."),
        "{body}"
    );
    assert!(!b.cookies.contains_key("argos_session"));
    // The server itself carries on, and sessions are its own: they outlive the directory.
    assert_eq!(b.get("/login").await.0, StatusCode::OK);
    assert_eq!(logged_in.get("/agents").await.0, StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn ldap_users_are_never_looked_up_in_the_local_users_table() {
    let Some(slapd) = Slapd::start() else { return };
    let (app, _dir) = ldap_app(&settings(&slapd.uri())).await;
    let now = Utc::now();
    for (name, pw) in [
        ("alice", "local-alice"),
        ("dora", "local-dora"),
        ("bob", "builder"),
    ] {
        let hash = password::hash(pw.into()).await.unwrap();
        app.state.store.create_user(name, &hash, now).await.unwrap();
    }
    app.state
        .store
        .set_disabled("bob", true, now)
        .await
        .unwrap();

    assert_eq!(
        try_login(&app, "dora", "local-dora").await,
        (StatusCode::UNAUTHORIZED, false),
        "a local-only user"
    );
    assert_eq!(
        try_login(&app, "alice", "local-alice").await,
        (StatusCode::UNAUTHORIZED, false),
        "a local password"
    );
    assert_eq!(
        try_login(&app, "alice", "wonderland").await,
        (StatusCode::SEE_OTHER, true)
    );
    assert_eq!(
        try_login(&app, "bob", "builder").await,
        (StatusCode::SEE_OTHER, true),
        "the local table's `disabled` is not consulted either"
    );
    let local = app.state.store.user("alice").await.unwrap().unwrap();
    assert!(
        local.last_login_at.is_none(),
        "the local alice never logged in"
    );
    app.stop().await;
}
