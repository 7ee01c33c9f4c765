//! The HTTP task source against a local fake server: error bodies, `Retry-After`, and leases
//! with tasks the agent cannot read.

use argos_agent::http::HttpSource;
use argos_agent::{SourceError, TaskSource};
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde_json::{Value, json};

async fn server(router: Router) -> String {
    format!("http://{}", argos_testkit::spawn_http(router).await)
}

fn source(base: &str) -> HttpSource {
    HttpSource::new(base, "token", "agent-1", "test").unwrap()
}

#[tokio::test]
async fn an_error_body_is_cut_on_a_character_boundary() {
    // 'x' then two-byte characters: byte 500 falls inside one of them.
    let body = format!("x{}", "é".repeat(400));
    let router = Router::new().route(
        "/api/results",
        post(move || {
            let body = body.clone();
            async move { (StatusCode::INTERNAL_SERVER_ERROR, body) }
        }),
    );
    let base = server(router).await;
    let err = source(&base).report(&[]).await.unwrap_err();
    let SourceError::Rejected { status, body, .. } = err else {
        panic!("expected a rejection, got {err:?}");
    };
    assert_eq!(status, 500);
    assert!(body.starts_with("xé"), "{body}");
    assert!(body.len() <= 500, "{}", body.len());
}

fn leased(id: Value, method: &str, ip: &str) -> Value {
    json!({
        "id": id, "url": "https://example.org/", "domain": "https://example.org/",
        "ip_version": ip, "check": "status-is", "method": method, "request_data": null,
        "add_alerts_recipients": null, "overwrite_alerts_recipients": null,
        "expected": "200", "task_group": "g", "retry_before_notification": 0,
        "contiguous_failures": 0, "selected_at": null, "selected_by": "agent-1"
    })
}

#[tokio::test]
async fn a_task_the_agent_cannot_read_is_answered_with_an_error_and_the_rest_run() {
    // A newer server may hand out a method or an IP version this agent does not know.
    let tasks = json!([
        leased(json!(1), "GET", "4"),
        leased(json!(2), "QUERY", "4"),
        leased(json!(3), "GET", "7"),
        leased(json!(4), "POST", "6"),
    ]);
    let router = Router::new().route(
        "/api/tasks",
        get(move || {
            let tasks = tasks.clone();
            async move { axum::Json(tasks) }
        }),
    );
    let lease = source(&server(router).await)
        .lease(10)
        .await
        .expect("one unreadable task must not fail the whole lease");
    let ids: Vec<i64> = lease.tasks.iter().map(|t| t.id).collect();
    assert_eq!(ids, [1, 4]);
    let errors: Vec<(i64, &str)> = lease
        .unreadable
        .iter()
        .map(|r| (r.task_id, r.context["error_type"].as_str().unwrap()))
        .collect();
    assert_eq!(errors, [(2, "UnreadableTask"), (3, "UnreadableTask")]);
    let message = lease.unreadable[0].context["error_message"]
        .as_str()
        .unwrap();
    assert!(message.contains("QUERY"), "{message}");
}
