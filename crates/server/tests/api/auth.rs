//! Logins through HTTP: every access mode for every route, login and logout, session expiry,
//! disabled users and changed passwords, throttling, CSRF refusals, `next` redirects,
//! "remember me" and the security headers.

use std::time::Duration;

use argos_server::auth::password;
use chrono::Utc;
use reqwest::StatusCode;
use reqwest::header::SET_COOKIE;

use crate::helpers::{Browser, TestApp, config_with, location, urlencode};

/// GET routes that need a login unless configured otherwise.
const PRIVATE: &[&str] = &[
    "/domains",
    "/domain/127.0.0.1:9",
    "/task/1/results",
    "/result/1",
    "/agents",
    "/alerts",
    "/api/app/domains",
    "/api/app/agents",
    "/api/app/domain/127.0.0.1:9",
    "/api/app/alerts",
    "/api/app/version",
    "/api/stats",
];
/// The dashboard and its JSON.
const DASHBOARD: &[&str] = &["/", "/api/app/"];
/// Always public.
const PUBLIC: &[&str] = &[
    "/login",
    "/static/style.css",
    "/healthz",
    "/api/severities",
    "/openapi.json",
    "/redoc",
];

const SITE: &str = "  - domain: \"http://127.0.0.1:9\"\n    paths:\n      - path: \"/\"\n        checks:\n          - status-is: 200\n";

/// A server with `access` (`None`: unset) and `extra` general keys, and user `alice`
/// (password `wonderland`).
async fn app(access: Option<&str>, extra: &str) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("argos.db").display());
    let access = match access {
        Some(mode) => format!("  unauthenticated_access: {mode}\n"),
        // The helper makes tests anonymous unless the key is mentioned: here it is unset.
        None => "  # unauthenticated_access: unset\n".to_owned(),
    };
    let app = TestApp::spawn(&config_with(&url, &format!("{access}{extra}"), SITE), true).await;
    let hash = password::hash("wonderland".into()).await.unwrap();
    app.state
        .store
        .create_user("alice", &hash, Utc::now())
        .await
        .unwrap();
    (app, dir)
}

#[tokio::test]
async fn every_route_follows_the_access_mode() {
    for mode in [None, Some("dashboard"), Some("all")] {
        let (app, _dir) = app(mode, "").await;
        let mut b = Browser::new(&app);
        for &path in PRIVATE.iter().chain(DASHBOARD) {
            let (status, headers, body) = b.get(path).await;
            let open =
                mode == Some("all") || (mode == Some("dashboard") && DASHBOARD.contains(&path));
            if open {
                assert_ne!(status, StatusCode::UNAUTHORIZED, "{mode:?} {path}");
                assert!(!status.is_redirection(), "{mode:?} {path}: {status}");
            } else if path.starts_with("/api/") {
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{mode:?} {path}");
                let v: serde_json::Value = serde_json::from_str(&body).expect("a JSON body");
                assert!(v["detail"].as_str().unwrap().contains("Not authenticated"));
            } else {
                assert!(status.is_redirection(), "{mode:?} {path}: {status}");
                let want = format!("/login?next={}", urlencode(path));
                assert_eq!(location(&headers), want, "{mode:?} {path}");
            }
        }
        for path in PUBLIC {
            let (status, _, _) = b.get(path).await;
            assert!(
                status.is_success() || status.is_redirection(),
                "{mode:?} {path}: {status}"
            );
        }
        let (status, _, _) = b.get("/api/tasks").await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "the agent API wants its token"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn login_opens_the_pages_and_logout_closes_them() {
    let (app, _dir) = app(None, "").await;
    let mut b = Browser::new(&app);
    let (status, _, page) = b.login("alice", "nope", "/agents").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("Wrong user name or password."));
    assert!(!b.cookies.contains_key("argos_session"));

    let (status, headers, _) = b.login("alice", "wonderland", "/agents").await;
    assert_eq!(
        (status, location(&headers)),
        (StatusCode::SEE_OTHER, "/agents")
    );
    let cookie = headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|c| c.to_str().unwrap())
        .find(|c| c.starts_with("argos_session="))
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Max-Age"),
        "a browser-session cookie without remember-me: {cookie}"
    );
    let (status, _, page) = b.get("/agents").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("alice") && page.contains("Log out"));
    let v: serde_json::Value = serde_json::from_str(&b.get("/api/app/version").await.2).unwrap();
    assert_eq!(v["logged_in"], true);
    let last = app
        .state
        .store
        .user("alice")
        .await
        .unwrap()
        .unwrap()
        .last_login_at;
    assert!(last.is_some(), "the login is recorded");

    let csrf = b.csrf("/agents").await;
    let (status, headers, _) = b.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(
        (status, location(&headers)),
        (StatusCode::SEE_OTHER, "/login")
    );
    assert!(b.get("/agents").await.0.is_redirection(), "logged out");
    app.stop().await;
}

#[tokio::test]
async fn an_old_session_cookie_is_useless_after_logout() {
    let (app, _dir) = app(None, "").await;
    let mut b = Browser::new(&app);
    b.login("alice", "wonderland", "/").await;
    let stolen = b.cookies["argos_session"].clone();
    let csrf = b.csrf("/agents").await;
    b.post("/logout", &[("csrf", &csrf)]).await;
    b.cookies.insert("argos_session".into(), stolen);
    assert!(b.get("/agents").await.0.is_redirection());
    app.stop().await;
}

#[tokio::test]
async fn sessions_expire() {
    let (app, _dir) = app(None, "  session_duration: \"2s\"\n").await;
    let mut b = Browser::new(&app);
    b.login("alice", "wonderland", "/").await;
    assert_eq!(b.get("/agents").await.0, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(b.get("/agents").await.0.is_redirection(), "expired");
    app.stop().await;
}

#[tokio::test]
async fn disabling_a_user_or_changing_their_password_ends_their_sessions() {
    let (app, _dir) = app(None, "").await;
    let mut b = Browser::new(&app);
    b.login("alice", "wonderland", "/").await;
    app.state
        .store
        .set_disabled("alice", true, Utc::now())
        .await
        .unwrap();
    assert!(
        b.get("/agents").await.0.is_redirection(),
        "disabled: session gone"
    );
    let (status, _, _) = b.login("alice", "wonderland", "/").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a disabled user cannot log in"
    );

    app.state
        .store
        .set_disabled("alice", false, Utc::now())
        .await
        .unwrap();
    b.login("alice", "wonderland", "/").await;
    assert_eq!(b.get("/agents").await.0, StatusCode::OK);
    let hash = password::hash("rabbit-hole".into()).await.unwrap();
    app.state
        .store
        .set_password("alice", &hash, Utc::now())
        .await
        .unwrap();
    assert!(
        b.get("/agents").await.0.is_redirection(),
        "new password: session gone"
    );
    assert_eq!(
        b.login("alice", "wonderland", "/").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        b.login("alice", "rabbit-hole", "/").await.0,
        StatusCode::SEE_OTHER
    );
    app.stop().await;
}

#[tokio::test]
async fn repeated_failures_lock_the_name_even_for_the_right_password() {
    let (app, _dir) = app(None, "").await;
    let mut b = Browser::new(&app);
    for _ in 0..5 {
        assert_eq!(
            b.login("alice", "guess", "/").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    let (status, _, page) = b.login("alice", "wonderland", "/").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("Too many failed logins"), "{page}");
    // An empty password never authenticates, and does not reveal anything either.
    assert_eq!(b.login("bob", "", "/").await.0, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn forms_without_the_right_csrf_field_are_refused() {
    let (app, _dir) = app(None, "").await;
    let mut b = Browser::new(&app);
    b.get("/login").await;
    let form = [
        ("username", "alice"),
        ("password", "wonderland"),
        ("csrf", "00"),
    ];
    assert_eq!(b.post("/login", &form).await.0, StatusCode::FORBIDDEN);
    // A field made for another visitor's cookie.
    let mut other = Browser::new(&app);
    let foreign = other.csrf("/login").await;
    let form = [
        ("username", "alice"),
        ("password", "wonderland"),
        ("csrf", foreign.as_str()),
    ];
    assert_eq!(b.post("/login", &form).await.0, StatusCode::FORBIDDEN);
    b.login("alice", "wonderland", "/").await;
    assert_eq!(
        b.post("/logout", &[("csrf", "")]).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(b.get("/agents").await.0, StatusCode::OK, "still logged in");
    app.stop().await;
}

#[tokio::test]
async fn next_only_goes_to_pages_of_this_site() {
    let (app, _dir) = app(None, "").await;
    for (next, want) in [
        ("/domains?s=critical", "/domains?s=critical"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
    ] {
        let mut b = Browser::new(&app);
        let (status, headers, _) = b.login("alice", "wonderland", next).await;
        assert_eq!(
            (status, location(&headers)),
            (StatusCode::SEE_OTHER, want),
            "{next}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn remember_me_makes_a_lasting_cookie() {
    let (app, _dir) = app(None, "  remember_me_duration: \"30d\"\n").await;
    let mut b = Browser::new(&app);
    let (_, _, page) = b.get("/login").await;
    assert!(page.contains("Remember me"));
    let csrf = b.csrf("/login").await;
    let form = [
        ("username", "alice"),
        ("password", "wonderland"),
        ("csrf", csrf.as_str()),
        ("remember", "1"),
    ];
    let (_, headers, _) = b.post("/login", &form).await;
    let cookie = headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|c| c.to_str().unwrap())
        .find(|c| c.starts_with("argos_session="))
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains(&format!("Max-Age={}", 30 * 86_400)),
        "{cookie}"
    );
    app.stop().await;
}

#[tokio::test]
async fn every_answer_has_the_security_headers() {
    let (app, _dir) = app(None, "").await;
    let mut b = Browser::new(&app);
    for path in ["/login", "/agents", "/api/app/domains", "/static/style.css"] {
        let (_, h, _) = b.get(path).await;
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'")
                && !csp.contains("unsafe-inline")
                && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn deleting_a_user_ends_their_sessions() {
    let (app, _dir) = app(None, "").await;
    let mut b = Browser::new(&app);
    b.login("alice", "wonderland", "/").await;
    assert_eq!(b.get("/agents").await.0, StatusCode::OK);
    assert!(app.state.store.delete_user("alice").await.unwrap());
    assert!(b.get("/agents").await.0.is_redirection());
    app.stop().await;
}

#[tokio::test]
async fn logins_work_under_a_root_path() {
    let (app, _dir) = app(None, "  root_path: \"/argos\"\n").await;
    let mut b = Browser::new(&app);
    let (status, headers, _) = b.get("/argos/agents").await;
    assert!(status.is_redirection());
    assert_eq!(location(&headers), "/argos/login?next=%2Fargos%2Fagents");
    let (status, headers, _) = b.get("/argos/").await;
    assert_eq!(
        location(&headers),
        "/argos/login?next=%2Fargos%2F",
        "{status}"
    );
    let csrf = b.csrf("/argos/login?next=%2Fargos%2Fagents").await;
    let form = [
        ("username", "alice"),
        ("password", "wonderland"),
        ("csrf", csrf.as_str()),
        ("next", "/argos/agents"),
    ];
    let (status, headers, _) = b.post("/argos/login", &form).await;
    assert_eq!(
        (status, location(&headers)),
        (StatusCode::SEE_OTHER, "/argos/agents")
    );
    let cookie = headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|c| c.to_str().unwrap())
        .find(|c| c.starts_with("argos_session="))
        .unwrap()
        .to_owned();
    assert!(cookie.contains("Path=/argos;"), "{cookie}");
    let (status, _, page) = b.get("/argos/agents").await;
    assert_eq!(status, StatusCode::OK);
    // minijinja writes "/" as "&#x2f;" in attributes.
    let page = page.replace("&#x2f;", "/");
    assert!(
        page.contains("href=\"/argos/domains\"") && page.contains("action=\"/argos/logout\""),
        "{page}"
    );
    let csrf = b.csrf("/argos/agents").await;
    let (status, headers, _) = b.post("/argos/logout", &[("csrf", &csrf)]).await;
    assert_eq!(
        (status, location(&headers)),
        (StatusCode::SEE_OTHER, "/argos/login")
    );
    app.stop().await;
}
