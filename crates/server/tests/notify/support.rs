//! A recording HTTP receiver and the notices the tests send.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use argos_checks::{IpVersion, Severity};
use argos_server::notify::Notice;
use argos_server::store::{AlertKind, AlertRecord};
use axum::Router;
use axum::body::Bytes;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, TimeZone, Utc};

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Got {
    pub method: String,
    /// Path and query, as sent (percent-encoding kept).
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Got {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

type Answer = Arc<dyn Fn(&Got) -> (StatusCode, String) + Send + Sync>;

/// An HTTP server on `127.0.0.1:<free port>` that records every request and answers with
/// what `answer` says.
pub struct Receiver {
    pub addr: SocketAddr,
    got: Arc<Mutex<Vec<Got>>>,
}

impl Receiver {
    /// Answers `200 OK` to everything.
    pub async fn ok() -> Receiver {
        Receiver::answering(|_| (StatusCode::OK, "{}".to_owned())).await
    }

    pub async fn answering(
        answer: impl Fn(&Got) -> (StatusCode, String) + Send + Sync + 'static,
    ) -> Receiver {
        let got = Arc::new(Mutex::new(Vec::new()));
        let answer: Answer = Arc::new(answer);
        let record = got.clone();
        let router = Router::new().fallback(move |req: Request| {
            let (record, answer) = (record.clone(), answer.clone());
            async move {
                let (parts, body) = req.into_parts();
                let body = axum::body::to_bytes(body, 1 << 20)
                    .await
                    .unwrap_or_default();
                let path = parts
                    .uri
                    .path_and_query()
                    .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
                let got = Got {
                    method: parts.method.to_string(),
                    path,
                    headers: parts.headers,
                    body,
                };
                let reply = answer(&got);
                record.lock().expect("not poisoned").push(got);
                reply
            }
        });
        let addr = argos_testkit::spawn_http(router).await;
        Receiver { addr, got }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> url::Url {
        url::Url::parse(&format!("http://{}{path}", self.addr)).expect("a URL")
    }

    /// Every request so far, in order.
    pub fn got(&self) -> Vec<Got> {
        self.got.lock().expect("not poisoned").clone()
    }
}

/// The public URL the notices link to.
pub fn base() -> url::Url {
    url::Url::parse("https://argos.example/").expect("a URL")
}

pub fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 10, 0, 0)
        .single()
        .expect("a date")
}

/// A task alert: `domain` went from `previous` to `severity`.
pub fn alert(id: i64, domain: &str, previous: Severity, severity: Severity) -> AlertRecord {
    AlertRecord {
        id,
        created_at: at(),
        kind: AlertKind::Change,
        task_id: Some(id + 100),
        result_id: Some(id + 1000),
        netloc: Some(domain.to_owned()),
        url: Some(format!("https://{domain}/")),
        check: Some("status-is".to_owned()),
        ip_version: Some(IpVersion::V4),
        previous: Some(previous),
        severity,
        since: at(),
        detail: Some("expected 200, got 503".to_owned()),
    }
}

/// `example.org` is down: one alert, id 7.
pub fn down() -> Notice {
    let a = alert(7, "example.org", Severity::Ok, Severity::Critical);
    Notice::for_alerts(&[&a], Some(&base()))
}

/// A system alert of `kind` (test, no agent, agent back).
pub fn system(kind: AlertKind, severity: Severity, detail: &str) -> Notice {
    let a = AlertRecord {
        id: 40,
        created_at: at(),
        kind,
        task_id: None,
        result_id: None,
        netloc: None,
        url: None,
        check: None,
        ip_version: None,
        previous: None,
        severity,
        since: at() - chrono::Duration::minutes(10),
        detail: Some(detail.to_owned()),
    };
    Notice::for_alerts(&[&a], Some(&base()))
}

/// Three domains changed at once.
pub fn summary() -> Notice {
    let alerts = [
        alert(1, "a.example", Severity::Ok, Severity::Critical),
        alert(2, "b.example", Severity::Ok, Severity::Warning),
        alert(3, "c.example", Severity::Critical, Severity::Ok),
    ];
    let refs: Vec<&AlertRecord> = alerts.iter().collect();
    Notice::summary(&refs, Some(&base()))
}

pub fn ctx() -> argos_server::notify::Ctx {
    argos_server::notify::Ctx::new().expect("an HTTP client")
}
