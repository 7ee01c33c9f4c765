//! Config reload (what SIGHUP and start-up run) and the embedded agent.

use std::time::Duration;

use argos_server::app::{self, App, ServeOptions};
use argos_testkit::spawn_http;
use serde_json::json;

use crate::e2e::{many_sites, site};
use crate::helpers::{Backend, config_with, config_yaml, load, with_app};

#[tokio::test]
async fn a_reload_applies_changes_and_an_invalid_config_is_refused_keeping_the_running_one() {
    let port = spawn_http(site()).await.port();
    with_app(Backend::Sqlite, &many_sites(port, 2), |app| async move {
        assert_eq!(app.get_json("/api/severities").await["unknown"], 4);
        let path = app.state.config().source.clone();
        let db_url = app.state.config().general.db.url.clone();

        // A broken file: refused with its problems, nothing changes.
        let good = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, good.replace("status-is: 200", "status-is: 2000")).unwrap();
        let err = app::reload(&app.state, true).await.unwrap_err().to_string();
        assert!(
            err.contains("config.yaml:") && err.contains("status-is"),
            "{err}"
        );
        assert_eq!(app.get_json("/api/severities").await["unknown"], 4);

        // A valid file with one more site: added, the others unchanged.
        std::fs::write(&path, config_yaml(&db_url, &many_sites(port, 3))).unwrap();
        let stats = app::reload(&app.state, true).await.unwrap().stats;
        assert_eq!((stats.added, stats.removed, stats.unchanged), (2, 0, 4));
        assert_eq!(app.get_json("/api/severities").await["unknown"], 6);

        // Removing a site removes its tasks.
        std::fs::write(&path, config_yaml(&db_url, &many_sites(port, 1))).unwrap();
        let stats = app::reload(&app.state, true).await.unwrap().stats;
        assert_eq!((stats.added, stats.removed, stats.unchanged), (0, 4, 2));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_reload_moves_the_site_to_a_new_root_path_and_names_what_needs_a_restart() {
    let port = spawn_http(site()).await.port();
    with_app(Backend::Sqlite, &many_sites(port, 1), |app| async move {
        let path = app.state.config().source.clone();
        let db_url = app.state.config().general.db.url.clone();
        let status = |p: &'static str| {
            let (client, base) = (app.client.clone(), app.base.clone());
            async move {
                client
                    .get(format!("{base}{p}"))
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
        assert_eq!(status("/api/severities").await, 200);

        // A new root path: pages and the API answer under it at once, no longer at /.
        let moved = config_with(&db_url, "  root_path: \"/argos\"", &many_sites(port, 1));
        std::fs::write(&path, moved).unwrap();
        let reloaded = app::reload(&app.state, true).await.unwrap();
        assert!(reloaded.needs_restart.is_empty(), "{reloaded:?}");
        assert_eq!(status("/argos/api/severities").await, 200);
        assert_eq!(status("/argos/").await, 200);
        assert_eq!(status("/api/severities").await, 404);
        let spec = app.get_json("/argos/openapi.json").await;
        assert_eq!(spec["servers"][0]["url"], "/argos", "{}", spec["servers"]);

        // A new database URL cannot be applied by a running server: it says so, and keeps
        // the database it has.
        let elsewhere = db_url.replace("argos.db", "other.db");
        let text = config_with(&elsewhere, "  root_path: \"/argos\"", &many_sites(port, 1));
        std::fs::write(&path, text).unwrap();
        let reloaded = app::reload(&app.state, true).await.unwrap();
        assert_eq!(reloaded.needs_restart, ["general.db.url"]);
        assert_eq!(app.state.config().general.db.url, db_url);
        assert_eq!(status("/argos/api/severities").await, 200);
        app.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_agent_checks_everything_on_its_own() {
    let port = spawn_http(site()).await.port();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("argos.db").display());
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, config_yaml(&url, &many_sites(port, 5))).unwrap();
    let opts = ServeOptions {
        host: "127.0.0.1".into(),
        port: 0,
        embedded_agent: true,
        strict: true,
        notifier: true,
    };
    let app = App::build(load(&path), &opts).await.unwrap();
    let base = format!("http://{}", app.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = rx.await;
    }));
    let client = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let counts: serde_json::Value = client
            .get(format!("{base}/api/severities"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if counts == json!({"ok": 10, "warning": 0, "critical": 0, "unknown": 0}) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the embedded agent did not check everything: {counts}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let agents: serde_json::Value = client
        .get(format!("{base}/api/app/agents"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        agents["agents"]
            .as_object()
            .unwrap()
            .keys()
            .any(|k| k.starts_with("embedded@")),
        "{agents}"
    );
    let _ = tx.send(());
    server.await.unwrap().unwrap();
}
