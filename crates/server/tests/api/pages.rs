//! Every page renders, shows what it must, and escapes what agents and configs supply.

use std::time::Duration;

use argos_testkit::spawn_http;
use axum::Router;
use axum::routing::get;

use crate::e2e::{many_sites, site};
use crate::helpers::{Backend, with_app};

#[tokio::test]
async fn every_page_renders_with_real_data() {
    let port = spawn_http(site()).await.port();
    with_app(Backend::Sqlite, &many_sites(port, 3), |app| async move {
        let agent = app.spawn_agent("pages-agent", None);
        app.wait_all_checked(Duration::from_secs(30)).await;
        agent.stop().await;

        let (status, html) = app.get_html("/").await;
        assert_eq!(status, 200);
        assert!(html.contains(r#"data-severity="ok">6<"#), "{html}");
        assert!(html.contains("1 agent"));

        let netloc = format!("127.0.0.1:{port}");
        let (status, html) = app.get_html("/domains?s=all").await;
        assert_eq!(status, 200);
        assert!(
            html.contains(&netloc) && html.contains("1 domain, 6 tasks"),
            "{html}"
        );
        let (_, html) = app.get_html("/domains?s=critical").await;
        assert!(html.contains("No domain matches"));
        assert_eq!(app.get_html("/domains?s=bogus").await.0, 422);

        let (status, html) = app.get_html(&format!("/domain/{netloc}")).await;
        assert_eq!(status, 200);
        // Auto-escaping writes `/` as `&#x2f;`, which browsers display as `/`.
        assert!(
            html.contains("site2&#x2f;page") && html.contains("body-contains"),
            "{html}"
        );
        let task = &app.tasks_of(&netloc).await[0];
        let (status, html) = app.get_html(&format!("/task/{}/results", task["id"])).await;
        assert_eq!(status, 200);
        assert!(html.contains("Success"));
        let (status, html) = app
            .get_html(&format!("/result/{}", task["last_result_id"]))
            .await;
        assert_eq!(status, 200);
        assert!(html.contains("pages-agent"));
        let (status, html) = app.get_html("/agents").await;
        assert_eq!(status, 200);
        assert!(html.contains("pages-agent"));
        assert_eq!(app.get_html("/domain/nowhere.example").await.0, 404);
        assert_eq!(app.get_html("/result/999999").await.0, 404);
        assert_eq!(app.get_html("/static/style.css").await.0, 200);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn text_from_sites_and_agents_is_escaped() {
    // A site whose failure message would carry markup into the result page.
    let hostile = Router::new().route("/", get(|| async { "<script>alert(1)</script>" }));
    let port = spawn_http(hostile).await.port();
    let websites = format!(
        "  - domain: \"http://127.0.0.1:{port}\"\n    paths:\n      - path: \"/?q=<b>x</b>\"\n        checks:\n          - body-contains: \"<script>\"\n"
    );
    with_app(Backend::Sqlite, &websites, |app| async move {
        let agent = app.spawn_agent("<img src=x onerror=alert(1)>", None);
        app.wait_all_checked(Duration::from_secs(30)).await;
        agent.stop().await;
        let (_, agents) = app.get_html("/agents").await;
        assert!(
            !agents.contains("<img src=x") && agents.contains("&lt;img src=x"),
            "{agents}"
        );
        let (_, domain) = app.get_html(&format!("/domain/127.0.0.1:{port}")).await;
        assert!(
            !domain.contains("<script>") && domain.contains("&lt;script&gt;"),
            "{domain}"
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn page_errors_are_pages_of_the_site() {
    with_app(Backend::Sqlite, &many_sites(9, 1), |app| async move {
        let (status, html) = app.get_html("/result/999999").await;
        assert_eq!(status, 404);
        assert!(
            html.starts_with("<!doctype html>") && html.contains("<html lang=\"en\">"),
            "{html}"
        );
        assert!(
            html.contains("<h1>Not Found</h1>") && html.contains("Back to the dashboard"),
            "{html}"
        );
        let (status, html) = app.get_html("/domains?s=bogus").await;
        assert_eq!(status, 422);
        assert!(
            html.contains("unknown filter &quot;bogus&quot;")
                || html.contains("unknown filter \"bogus\""),
            "{html}"
        );
        app.stop().await;
    })
    .await;
}

/// `count` websites on as many netlocs (closed ports of 127.0.0.1: never checked here).
fn spread(count: u16) -> String {
    (1..=count)
        .map(|p| format!("  - domain: \"http://127.0.0.1:{p}\"\n    paths:\n      - path: \"/\"\n        checks:\n          - status-is: 200\n"))
        .collect()
}

#[tokio::test]
async fn the_domains_list_pages_sorts_and_searches() {
    with_app(Backend::Sqlite, &spread(105), |app| async move {
        let rows = |html: &str| html.matches("<th scope=\"row\">").count();
        let (_, first) = app.get_html("/domains").await;
        assert_eq!(rows(&first), 100);
        assert!(
            first.contains("Page 1 of 2") && first.contains("page=2"),
            "{first}"
        );
        let (_, second) = app.get_html("/domains?page=2&sort=name").await;
        assert_eq!(rows(&second), 5);
        // Bytewise by name: "127.0.0.1" (port 80 is http's own), "127.0.0.1:1", "127.0.0.1:10"…
        let (_, by_name) = app.get_html("/domains?sort=name").await;
        let names: Vec<&str> = by_name
            .split("<th scope=\"row\">")
            .skip(1)
            .take(3)
            .map(|row| row.split('>').nth(1).unwrap().split('<').next().unwrap())
            .collect();
        assert_eq!(names, ["127.0.0.1", "127.0.0.1:1", "127.0.0.1:10"]);
        let (_, found) = app.get_html("/domains?q=127.0.0.1%3A104").await;
        assert_eq!(rows(&found), 1);
        let (status, _) = app.get_html("/domains?sort=sideways").await;
        assert_eq!(status, 422);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn recheck_now_makes_tasks_due_and_wants_its_csrf_field() {
    let port = spawn_http(site()).await.port();
    with_app(Backend::Sqlite, &many_sites(port, 2), |app| async move {
        let agent = app.spawn_agent("recheck-agent", None);
        app.wait_all_checked(Duration::from_secs(20)).await;
        agent.stop().await;
        let now = || chrono::Utc::now();
        assert_eq!(app.state.store.waiting_count(now()).await.unwrap(), 0);
        let netloc = format!("127.0.0.1:{port}");
        let mut b = crate::helpers::Browser::new(&app);
        let action = format!("/domain/{netloc}/recheck");
        assert_eq!(b.post(&action, &[("csrf", "nope")]).await.0, 403);
        let csrf = b.csrf(&format!("/domain/{netloc}")).await;
        let (status, headers, _) = b.post(&action, &[("csrf", &csrf)]).await;
        assert_eq!(status, 303);
        assert_eq!(
            crate::helpers::location(&headers),
            format!("/domain/{}", crate::helpers::urlencode(&netloc))
        );
        assert_eq!(
            app.state.store.waiting_count(now()).await.unwrap(),
            4,
            "every task of the domain"
        );
        app.stop().await;
    })
    .await;
}
