//! Helpers: tasks, a probe trusting a test CA, and a site with known headers and bodies.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use argos_checks::probe::cache::Lookingup;
use argos_checks::probe::{Lookup, Probe, ProbeOptions};
use argos_checks::{AgentResult, Task};
use std::convert::Infallible;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
use axum::routing::{any, get};
use futures_util::{StreamExt, stream};

/// A task for `url` with `check: expected`, IPv4, GET.
pub fn task(id: i64, url: &str, check: &str, expected: &str) -> Task {
    Task::get(id, url, check, expected)
}

/// A probe with default options, also trusting `extra_pem` roots.
pub fn probe(extra_pem: &[String]) -> Probe {
    probe_with(extra_pem, ProbeOptions::default().timeout)
}

/// Like [`probe`], with a timeout.
pub fn probe_with(extra_pem: &[String], timeout: Duration) -> Probe {
    let opts = ProbeOptions {
        timeout,
        extra_roots_pem: extra_pem.iter().map(|p| p.clone().into_bytes()).collect(),
        ..ProbeOptions::default()
    };
    Probe::new(opts).expect("building the probe")
}

/// Runs one task alone.
pub async fn run_one(probe: &Probe, task: Task) -> AgentResult {
    let mut results = argos_checks::group::run_group(probe, &[task]).await;
    assert_eq!(results.len(), 1);
    results.remove(0)
}

/// The `reason` of a failed request.
pub fn reason(result: &AgentResult) -> &str {
    result.context["reason"]
        .as_str()
        .unwrap_or_else(|| panic!("no reason in {:?}", result.context))
}

/// Counts the requests a site receives.
#[derive(Clone, Default)]
pub struct Hits(Arc<AtomicUsize>);

impl Hits {
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// A small site: `/` (HTML with known headers), `/json`, `/echo` (method, headers, body),
/// `/big` (20 MB), `/endless` (a body that never ends), `/stall` (one chunk, then nothing);
/// anything else is 404.
pub fn site(hits: Hits) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/json", get(json_doc))
        .route("/echo", any(echo))
        .route("/big", get(|| async { vec![b'x'; 20 * 1024 * 1024] }))
        .route(
            "/endless",
            get(|| async { Body::from_stream(stream::repeat_with(chunk)) }),
        )
        .route(
            "/stall",
            get(|| async {
                Body::from_stream(stream::once(async { chunk() }).chain(stream::pending()))
            }),
        )
        .layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                hits.0.fetch_add(1, Ordering::SeqCst);
                next.run(req)
            },
        ))
}

fn chunk() -> Result<Bytes, Infallible> {
    Ok(Bytes::from_static(&[b'y'; 64 * 1024]))
}

async fn home() -> impl IntoResponse {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        "text/html; charset=utf-8".parse().unwrap(),
    );
    headers.insert("x-frame-options", "DENY".parse().unwrap());
    headers.insert(header::SERVER, "nginx/1.25.3".parse().unwrap());
    headers.append(header::CACHE_CONTROL, "no-cache".parse().unwrap());
    headers.append(header::CACHE_CONTROL, "private".parse().unwrap());
    (headers, "<html><h1>Welcome to Argos 2.10</h1></html>")
}

async fn json_doc() -> impl IntoResponse {
    axum::Json(serde_json::json!({
        "status": "ok", "version": "2.10.1", "count": 3, "up": true,
        "items": [{"id": 1, "name": "a/b"}],
    }))
}

async fn echo(method: axum::http::Method, headers: HeaderMap, body: String) -> impl IntoResponse {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    axum::Json(serde_json::json!({
        "method": method.as_str(),
        "content_type": header("content-type"),
        "x_token": header("x-token"),
        "user_agent": header("user-agent"),
        "body": body,
    }))
}

/// A resolver standing in for DNS: every name has `addresses`, except that the first `fail`
/// lookups fail; it counts the lookups it answered.
#[derive(Clone, Default)]
pub struct Names {
    pub addresses: Vec<std::net::IpAddr>,
    pub fail: Arc<AtomicUsize>,
    pub calls: Arc<AtomicUsize>,
}

impl Names {
    pub fn of(addresses: &[&str]) -> Names {
        Names {
            addresses: addresses.iter().map(|a| a.parse().unwrap()).collect(),
            ..Names::default()
        }
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// A probe resolving with these names, keeping answers `ttl`.
    pub fn probe(&self, ttl: Duration) -> Probe {
        let opts = ProbeOptions {
            dns_ttl: ttl,
            ..ProbeOptions::default()
        };
        Probe::with_lookup(opts, Arc::new(self.clone())).expect("building the probe")
    }
}

impl Lookup for Names {
    fn lookup(&self, host: &str) -> Lookingup {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let failing = self
            .fail
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        let (host, addresses) = (host.to_owned(), self.addresses.clone());
        Box::pin(async move {
            if failing {
                let message = format!("{host}: temporary failure in name resolution");
                return Err(std::io::Error::other(message));
            }
            Ok(addresses)
        })
    }
}
