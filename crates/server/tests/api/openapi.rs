//! The OpenAPI document against the running server: every documented operation is routed,
//! every route that answers JSON is documented, real answers match their schemas, and the
//! docs pages load only our own files (under a `root_path` too).
//!
//! The JSON modules register their routes with `utoipa_axum::routes!`, which documents them
//! by construction; [`every_json_route_is_documented`] catches a JSON route added any other
//! way (a plain `.route(...)` anywhere in `src/`).

use std::collections::BTreeSet;
use std::path::Path;

use argos_checks::{AgentResult, Status};
use reqwest::{Method, Url};
use serde_json::{Value, json};

use crate::e2e::many_sites;
use crate::helpers::{Backend, TOKEN, TestApp, config_with, with_app, with_db};

mod schema;

/// `(method, path, operation)` of every operation of the document.
fn operations(doc: &Value) -> Vec<(Method, String, Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().unwrap() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            ops.push((method, path.clone(), op.clone()));
        }
    }
    ops
}

/// `{netloc}` and `{*rest}` become `{}`, so that paths compare whatever their names.
fn shape(path: &str) -> String {
    regex::Regex::new(r"\{[^}]*\}")
        .unwrap()
        .replace_all(path, "{}")
        .into_owned()
}

/// A concrete path for a path template.
fn concrete(path: &str, value: &str) -> String {
    shape(path).replace("{}", value)
}

async fn document(app: &TestApp, prefix: &str) -> Value {
    let resp = app
        .client
        .get(format!("{}{prefix}/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    resp.json().await.expect("the document is JSON")
}

/// Sends `method path` with the agent token (and an empty JSON list as body).
async fn send(app: &TestApp, method: Method, path: &str) -> reqwest::Response {
    app.client
        .request(method, format!("{}{path}", app.base))
        .bearer_auth(TOKEN)
        .json(&json!([]))
        .send()
        .await
        .unwrap()
}

fn is_json(resp: &reqwest::Response) -> bool {
    resp.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"))
}

#[tokio::test]
async fn the_document_is_openapi_3_and_every_operation_is_complete() {
    with_app(Backend::Sqlite, &many_sites(9, 1), |app| async move {
        let doc = document(&app, "").await;
        let version = doc["openapi"].as_str().unwrap();
        assert!(
            version.starts_with("3.1.") || version.starts_with("3.0."),
            "{version}"
        );
        let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
        assert_eq!(schemes["agent_token"]["scheme"], "bearer");
        assert_eq!(schemes["session"]["in"], "cookie");
        assert_eq!(schemes["session"]["name"], "argos_session");
        for (method, path, op) in operations(&doc) {
            let at = format!("{method} {path}");
            let responses = op["responses"].as_object().unwrap();
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{at}: a tag"
            );
            assert!(responses.contains_key("500"), "{at}: 500");
            let ok = responses
                .iter()
                .find(|(s, _)| s.starts_with('2'))
                .expect("a 2xx");
            assert!(
                ok.1["content"]["application/json"].is_object(),
                "{at}: JSON"
            );
            let security = op["security"]
                .as_array()
                .unwrap_or_else(|| panic!("{at}: security"));
            let names: Vec<&String> = security
                .iter()
                .flat_map(|req| req.as_object().unwrap().keys())
                .collect();
            for name in &names {
                assert!(schemes.contains_key(*name), "{at}: scheme {name}");
            }
            if !names.is_empty() {
                assert!(responses.contains_key("401"), "{at}: 401");
            }
        }
        for r in schema::refs(&doc) {
            assert!(schema::resolve(&doc, &r).is_some(), "dangling $ref {r}");
        }
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    with_app(Backend::Sqlite, &many_sites(9, 1), |app| async move {
        let doc = document(&app, "").await;
        let ops = operations(&doc);
        assert!(ops.len() >= 12, "{} operations", ops.len());
        for (method, path, _) in ops {
            let resp = send(&app, method.clone(), &concrete(&path, "x")).await;
            let status = resp.status().as_u16();
            assert_ne!(
                status, 405,
                "{method} {path} is not routed with that method"
            );
            if status == 404 {
                // A handler's 404 has our JSON body; the router's has none.
                let body: Value = resp.json().await.unwrap_or(Value::Null);
                assert!(body["detail"].is_string(), "{method} {path} is not routed");
            }
        }
        app.stop().await;
    })
    .await;
}

/// `(path, methods)` of every `.route("…", …)` call in `dir`'s Rust files.
fn routes_in_source(dir: &Path, found: &mut Vec<(String, Vec<Method>)>) {
    let call = regex::Regex::new(r#"\.route(?:_service)?\(\s*"([^"]+)""#).unwrap();
    let verb = regex::Regex::new(r"\b(get|post|put|patch|delete)\s*\(").unwrap();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            routes_in_source(&path, found);
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for m in call.captures_iter(&text) {
            // The methods are named between the path and the call's closing parenthesis.
            let rest = &text[m.get(0).unwrap().end()..];
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '(' => 1,
                        ')' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(rest.len(), |(i, _)| i);
            let mut methods: Vec<Method> = verb
                .captures_iter(&rest[..end])
                .map(|v| Method::from_bytes(v[1].to_uppercase().as_bytes()).unwrap())
                .collect();
            if methods.is_empty() {
                methods.push(Method::GET);
            }
            found.push((m[1].to_owned(), methods));
        }
    }
}

#[tokio::test]
async fn every_json_route_is_documented() {
    with_app(Backend::Sqlite, &many_sites(9, 1), |app| async move {
        let doc = document(&app, "").await;
        let documented: BTreeSet<(String, String)> = operations(&doc)
            .into_iter()
            .map(|(m, p, _)| (m.to_string(), shape(&p)))
            .collect();
        let mut routes = Vec::new();
        routes_in_source(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut routes,
        );
        // The scan must see the pages, or it proves nothing.
        assert!(routes.iter().any(|(p, _)| p == "/domains"), "{routes:?}");
        for (path, methods) in routes {
            for method in methods {
                let resp = send(&app, method.clone(), &concrete(&path, "x")).await;
                if is_json(&resp) {
                    let key = (method.to_string(), shape(&path));
                    assert!(
                        documented.contains(&key),
                        "{method} {path} answers JSON but is not in the OpenAPI document: \
                         register it with `routes!` and `#[utoipa::path]` (see web/docs.rs)"
                    );
                }
            }
        }
        app.stop().await;
    })
    .await;
}

/// The 2xx JSON schema of `method path`.
fn ok_schema<'a>(doc: &'a Value, method: &str, path: &str) -> &'a Value {
    let responses = doc["paths"][path][method]["responses"].as_object().unwrap();
    let (_, ok) = responses.iter().find(|(s, _)| s.starts_with('2')).unwrap();
    &ok["content"]["application/json"]["schema"]
}

#[tokio::test]
async fn answers_match_their_schemas() {
    with_app(Backend::Sqlite, &many_sites(9, 2), |app| async move {
        let doc = document(&app, "").await;
        // Arrange: leased tasks, and failed results for them (which raise alerts).
        let resp = send(&app, Method::GET, "/api/tasks?agent_id=docs").await;
        let tasks: Value = resp.json().await.unwrap();
        schema::assert_valid(&doc, ok_schema(&doc, "get", "/api/tasks"), &tasks, "tasks");
        let results: Vec<AgentResult> = tasks
            .as_array()
            .unwrap()
            .iter()
            .map(|t| AgentResult {
                task_id: t["id"].as_i64().unwrap(),
                status: Status::Failure,
                context: json!({"error_message": "refused"}),
                elapsed_ms: Some(3.5),
                lease_id: t["lease_id"].as_str().map(str::to_owned),
            })
            .collect();
        assert_eq!(results.len(), 4, "2 sites × 2 checks");
        let body = serde_json::to_value(&results).unwrap();
        let request = &doc["paths"]["/api/results"]["post"]["requestBody"]["content"];
        schema::assert_valid(
            &doc,
            &request["application/json"]["schema"],
            &body,
            "results",
        );
        let posted = app
            .client
            .post(format!("{}/api/results?agent_id=docs", app.base))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(posted.status(), 201);
        let ids: Value = posted.json().await.unwrap();
        schema::assert_valid(&doc, ok_schema(&doc, "post", "/api/results"), &ids, "ids");
        // Act and assert: every documented GET, with data behind it.
        let netloc = "127.0.0.1:9";
        let mut seen = std::collections::BTreeMap::new();
        for (method, path, _) in operations(&doc) {
            if method != Method::GET || path == "/api/tasks" {
                continue;
            }
            let resp = send(&app, Method::GET, &concrete(&path, netloc)).await;
            assert!(resp.status().is_success(), "GET {path}: {}", resp.status());
            let body: Value = resp.json().await.unwrap();
            schema::assert_valid(&doc, ok_schema(&doc, "get", &path), &body, &path);
            seen.insert(path, body);
        }
        // The answers had data in them (or their items were never checked).
        assert_eq!(
            seen["/api/app/domain/{netloc}"]["tasks"]
                .as_array()
                .unwrap()
                .len(),
            4
        );
        assert!(
            !seen["/api/app/alerts"]["alerts"]
                .as_array()
                .unwrap()
                .is_empty()
        );
        assert!(
            !seen["/api/app/agents"]["agents"]
                .as_object()
                .unwrap()
                .is_empty()
        );
        app.stop().await;
    })
    .await;
}

/// The `src`/`href` of `html`, which must all be relative (no scheme, no leading slash: the
/// pages work offline and under any path prefix); and no inline script.
fn local_references(html: &str) -> Vec<String> {
    let script = regex::Regex::new(r"<script[^>]*>").unwrap();
    for tag in script.find_iter(html) {
        assert!(
            tag.as_str().contains("src="),
            "inline script: {}",
            tag.as_str()
        );
    }
    let attr = regex::Regex::new(r#"(?:src|href)="([^"]+)""#).unwrap();
    let refs: Vec<String> = attr.captures_iter(html).map(|c| c[1].to_owned()).collect();
    for r in &refs {
        assert!(
            !r.contains(':') && !r.starts_with('/'),
            "{r} is not a relative URL of this server"
        );
    }
    refs
}

#[tokio::test]
async fn docs_pages_load_only_local_files_under_a_root_path() {
    with_db(Backend::Sqlite, |url| async move {
        let general = "  root_path: \"/argos\"";
        let app = TestApp::spawn(&config_with(&url, general, &many_sites(9, 1)), false).await;
        let doc = document(&app, "/argos").await;
        assert_eq!(doc["servers"], json!([{"url": "/argos"}]));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let docs = client
            .get(format!("{}/argos/docs", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(docs.status(), 303);
        assert_eq!(docs.headers()["location"], "docs/");
        for page in ["/argos/docs/", "/argos/redoc"] {
            let page_url = Url::parse(&format!("{}{page}", app.base)).unwrap();
            let resp = app.client.get(page_url.clone()).send().await.unwrap();
            assert_eq!(resp.status(), 200, "{page}");
            assert!(
                resp.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/html")
            );
            let html = resp.text().await.unwrap();
            let refs = local_references(&html);
            assert!(!refs.is_empty(), "{page}");
            for r in refs {
                let asset = page_url.join(&r).unwrap();
                let resp = app.client.get(asset.clone()).send().await.unwrap();
                assert_eq!(resp.status(), 200, "{asset}");
                let text = resp.text().await.unwrap();
                if r.contains("init") {
                    // Our start-up scripts name no other server.
                    assert!(!text.contains("http"), "{asset}");
                    assert!(text.contains("openapi.json") || html.contains("openapi.json"));
                }
            }
        }
        let bundle = app
            .client
            .get(format!("{}/argos/redoc/redoc.standalone.js", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(bundle.status(), 200);
        let headers = bundle.headers().clone();
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .contains("javascript")
        );
        assert!(
            headers["cache-control"]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        let js = bundle.text().await.unwrap();
        assert!(
            js.len() > 500_000 && js.contains("ReDoc"),
            "{} bytes",
            js.len()
        );
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_document_passes_openapi_spec_validator() {
    let probe = std::process::Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true but python3 cannot import openapi_spec_validator (see .ci/run)"
        );
        eprintln!("openapi-spec-validator not found: skipping the validation");
        return;
    }
    with_app(Backend::Sqlite, &many_sites(9, 1), |app| async move {
        let doc = document(&app, "").await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("openapi.json");
        std::fs::write(&file, doc.to_string()).unwrap();
        let out = std::process::Command::new("python3")
            .args([
                "-c",
                "import json, sys; from openapi_spec_validator import validate; \
                 validate(json.load(open(sys.argv[1])))",
            ])
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openapi-spec-validator: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        app.stop().await;
    })
    .await;
}
