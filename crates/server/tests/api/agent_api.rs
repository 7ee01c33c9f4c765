//! The agent API as the Python agent sees it: authentication, shapes, lease ownership.

use argos_testkit::spawn_http;
use serde_json::{Value, json};

use crate::e2e::{many_sites, site};
use crate::helpers::{Backend, TOKEN, TestApp, with_app};

async fn lease(app: &TestApp, agent: &str, limit: u32) -> Vec<Value> {
    let resp = app
        .client
        .get(format!(
            "{}/api/tasks?limit={limit}&agent_id={agent}",
            app.base
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

async fn post_results(app: &TestApp, agent: &str, body: &Value) -> (u16, Value) {
    let resp = app
        .client
        .post(format!("{}/api/results?agent_id={agent}", app.base))
        .bearer_auth(TOKEN)
        .json(body)
        .send()
        .await
        .unwrap();
    (
        resp.status().as_u16(),
        resp.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn tokens_are_required_and_checked() {
    with_app(Backend::Sqlite, &many_sites(9, 1), |app| async move {
        let url = format!("{}/api/tasks", app.base);
        let none = app.client.get(&url).send().await.unwrap();
        assert_eq!(none.status(), 401);
        assert_eq!(
            none.json::<Value>().await.unwrap(),
            json!({"detail": "Not authenticated"})
        );
        let wrong = app
            .client
            .get(&url)
            .bearer_auth("nope")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401);
        assert_eq!(
            wrong.json::<Value>().await.unwrap(),
            json!({"detail": "Unauthorized"})
        );
        let post = app
            .client
            .post(format!("{}/api/results", app.base))
            .json(&json!([]))
            .send()
            .await
            .unwrap();
        assert_eq!(post.status(), 401);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn leased_tasks_have_the_reference_shape_and_groups_travel_together() {
    let port = spawn_http(site()).await.port();
    with_app(Backend::Sqlite, &many_sites(port, 3), |app| async move {
        // 3 sites × 2 checks sharing one request each: limit counts groups, not tasks.
        let tasks = lease(&app, "py", 2).await;
        assert_eq!(tasks.len(), 4, "{tasks:#?}");
        let t = &tasks[0];
        for key in [
            "id",
            "url",
            "domain",
            "ip_version",
            "check",
            "method",
            "request_data",
            "add_alerts_recipients",
            "overwrite_alerts_recipients",
            "expected",
            "task_group",
            "retry_before_notification",
            "contiguous_failures",
            "selected_at",
            "selected_by",
        ] {
            assert!(t.get(key).is_some(), "missing {key} in {t}");
        }
        assert_eq!(t["ip_version"], "4");
        assert_eq!(t["method"], "GET");
        assert_eq!(t["selected_by"], "py");
        let groups: std::collections::HashSet<_> = tasks
            .iter()
            .map(|t| t["task_group"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(groups.len(), 2);
        // Another agent gets only what is left; nothing twice.
        let rest = lease(&app, "other", 10).await;
        assert_eq!(rest.len(), 2);
        assert!(
            rest.iter()
                .all(|r| tasks.iter().all(|t| t["id"] != r["id"]))
        );
        assert!(lease(&app, "third", 10).await.is_empty());
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn results_are_accepted_only_from_the_lease_holder() {
    let port = spawn_http(site()).await.port();
    with_app(Backend::Sqlite, &many_sites(port, 1), |app| async move {
        let tasks = lease(&app, "holder", 10).await;
        let id = tasks[0]["id"].clone();
        let body = json!([{"task_id": id, "status": "success", "context": {}}]);
        let (status, got) = post_results(&app, "intruder", &body).await;
        assert_eq!((status, got), (201, json!({"result_ids": []})));
        let (status, got) = post_results(&app, "holder", &body).await;
        assert_eq!(status, 201);
        assert_eq!(got["result_ids"].as_array().unwrap().len(), 1);
        // A second post for the same lease is not accepted twice… the lease is gone.
        let (_, again) = post_results(&app, "intruder", &body).await;
        assert_eq!(again, json!({"result_ids": []}));
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn malformed_results_get_a_clear_422_and_nothing_is_stored() {
    let port = spawn_http(site()).await.port();
    with_app(Backend::Sqlite, &many_sites(port, 1), |app| async move {
        let tasks = lease(&app, "a", 10).await;
        let bad = json!([{"task_id": tasks[0]["id"], "status": "splendid", "context": {}}]);
        let (status, body) = post_results(&app, "a", &bad).await;
        assert_eq!(status, 422);
        assert!(
            body["detail"].as_str().unwrap().contains("status"),
            "{body}"
        );
        assert_eq!(app.get_json("/api/stats").await["results_count"], 0);
        app.stop().await;
    })
    .await;
}

/// Calls the agent API with `token` as `agent` (`None`: no `agent_id`); the status and body.
async fn call(
    app: &TestApp,
    token: &str,
    agent: Option<&str>,
    results: Option<&Value>,
) -> (u16, Value) {
    let query = agent.map_or_else(String::new, |a| format!("?agent_id={a}"));
    let req = match results {
        None => app.client.get(format!("{}/api/tasks{query}", app.base)),
        Some(body) => app
            .client
            .post(format!("{}/api/results{query}", app.base))
            .json(body),
    };
    let resp = req.bearer_auth(token).send().await.unwrap();
    (
        resp.status().as_u16(),
        resp.json().await.unwrap_or(Value::Null),
    )
}

/// A token of its own for agent `name`, added as `argos server agent-token add` does.
async fn own_token(app: &TestApp, name: &str) -> String {
    use argos_server::auth::agent_token;
    let token = agent_token::generate();
    let hash = agent_token::hash(&token);
    let added = app
        .state
        .store
        .add_agent_token(name, &hash, chrono::Utc::now());
    assert!(added.await.unwrap());
    token
}

#[tokio::test]
async fn an_agents_own_token_makes_it_that_agent() {
    let port = spawn_http(site()).await.port();
    with_app(Backend::Sqlite, &many_sites(port, 2), |app| async move {
        let token = own_token(&app, "paris-1").await;
        // Naming another agent with it is refused, leasing and posting alike.
        let (status, body) = call(&app, &token, Some("lyon-2"), None).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(
            body["detail"],
            "This token belongs to agent paris-1, not to agent lyon-2"
        );
        assert_eq!(
            call(&app, &token, Some("lyon-2"), Some(&json!([]))).await.0,
            403
        );
        // Without agent_id, or with its own name, the request is paris-1's.
        let (status, tasks) = call(&app, &token, None, None).await;
        assert_eq!(status, 200);
        let tasks = tasks.as_array().unwrap().clone();
        assert_eq!(tasks.len(), 4);
        assert!(tasks.iter().all(|t| t["selected_by"] == "paris-1"));
        assert!(tasks.iter().all(|t| t["lease_id"].is_string()));
        let answer = |t: &Value| json!({"task_id": t["id"], "status": "success", "context": {}});
        let (status, got) = call(
            &app,
            &token,
            Some("paris-1"),
            Some(&json!([answer(&tasks[0])])),
        )
        .await;
        assert_eq!(
            (status, got["result_ids"].as_array().unwrap().len()),
            (201, 1)
        );
        // A shared secret cannot act for an agent that has its own token…
        let (status, body) = call(
            &app,
            TOKEN,
            Some("paris-1"),
            Some(&json!([answer(&tasks[1])])),
        )
        .await;
        assert_eq!(status, 403, "{body}");
        // …but still works for the others (the Python agent's protocol).
        let (status, got) = call(&app, TOKEN, Some("py"), Some(&json!([answer(&tasks[1])]))).await;
        assert_eq!(
            (status, got),
            (201, json!({"result_ids": []})),
            "not py's task"
        );
        assert_eq!(call(&app, TOKEN, Some("py"), None).await.0, 200);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_revoked_agent_token_is_refused() {
    with_app(Backend::Sqlite, &many_sites(9, 1), |app| async move {
        let token = own_token(&app, "paris-1").await;
        assert_eq!(call(&app, &token, None, None).await.0, 200);
        assert!(app.state.store.revoke_agent_token("paris-1").await.unwrap());
        let (status, body) = call(&app, &token, None, None).await;
        assert_eq!((status, body), (401, json!({"detail": "Unauthorized"})));
        assert_eq!(call(&app, &token, None, Some(&json!([]))).await.0, 401);
        // Its name is free again for the shared secrets.
        assert_eq!(call(&app, TOKEN, Some("paris-1"), None).await.0, 200);
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_result_naming_another_lease_is_refused() {
    let port = spawn_http(site()).await.port();
    with_app(Backend::Sqlite, &many_sites(port, 1), |app| async move {
        let tasks = lease(&app, "a", 10).await;
        let lease_id = tasks[0]["lease_id"].as_str().expect("a lease id").to_owned();
        let result = |lease: &str| {
            json!([{"task_id": tasks[0]["id"], "status": "success", "context": {}, "lease_id": lease}])
        };
        let (status, got) = post_results(&app, "a", &result("an-earlier-lease")).await;
        assert_eq!((status, got), (201, json!({"result_ids": []})));
        let (_, got) = post_results(&app, "a", &result(&lease_id)).await;
        assert_eq!(got["result_ids"].as_array().unwrap().len(), 1);
        app.stop().await;
    })
    .await;
}
