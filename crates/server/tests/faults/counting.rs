//! What the scale-out test counts with: a site that records, per path, how many requests
//! came and how many of them were in flight at once, a webhook receiver that records every
//! alert id it got, and the database's results, alerts and leases.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::header::USER_AGENT;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgPool;

use crate::support::wait_until;

/// `task id → (agent, lease end)`.
pub type Leases = HashMap<i64, (String, DateTime<Utc>)>;

/// How long the site takes to answer: long enough that a lease is caught while held, and
/// that a second agent running the same task at once shows as two requests in flight.
const ANSWER_AFTER: Duration = Duration::from_millis(800);

/// `/ok/*` answers 200, `/fail/*` 500, `/flap/*` 500 while `flap_fails` is set.
#[derive(Clone, Default)]
pub struct Site {
    pub flap_fails: Arc<AtomicBool>,
    paths: Arc<Mutex<HashMap<String, PathHits>>>,
}

/// The requests of one path.
#[derive(Debug, Default, Clone)]
pub struct PathHits {
    pub total: usize,
    in_flight: usize,
    pub most_in_flight: usize,
    /// Who sent each request (the end of its User-Agent), and when, in arrival order: what
    /// a failure prints.
    pub requests: Vec<(String, Instant, Option<Instant>)>,
}

impl Site {
    /// Serves it on a loopback port.
    pub async fn spawn(&self) -> u16 {
        let router = Router::new()
            .route("/{kind}/{n}", get(answer))
            .with_state(self.clone());
        argos_testkit::spawn_http(router).await.port()
    }

    /// What each path received.
    pub fn hits(&self) -> HashMap<String, PathHits> {
        self.paths.lock().unwrap().clone()
    }

    /// Counts a request in; returns its index.
    fn enter(&self, path: &str, who: String) -> usize {
        let mut paths = self.paths.lock().unwrap();
        let p = paths.entry(path.to_owned()).or_default();
        p.total += 1;
        p.in_flight += 1;
        p.most_in_flight = p.most_in_flight.max(p.in_flight);
        p.requests.push((who, Instant::now(), None));
        p.requests.len() - 1
    }

    fn leave(&self, path: &str, i: usize) {
        if let Some(p) = self.paths.lock().unwrap().get_mut(path) {
            p.in_flight -= 1;
            p.requests[i].2 = Some(Instant::now());
        }
    }
}

async fn answer(
    State(site): State<Site>,
    UrlPath((kind, n)): UrlPath<(String, u32)>,
    headers: HeaderMap,
) -> StatusCode {
    let path = format!("/{kind}/{n}");
    let ua = headers.get(USER_AGENT).and_then(|v| v.to_str().ok());
    let who = ua.and_then(|u| u.rsplit(" - ").next()).unwrap_or("?");
    let i = site.enter(&path, who.to_owned());
    let _leave = Leave(&site, &path, i);
    tokio::time::sleep(ANSWER_AFTER).await;
    let fails = kind == "fail" || (kind == "flap" && site.flap_fails.load(Ordering::SeqCst));
    if fails {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}

/// Counts a request out when its answer is sent, or when the agent hung up (killed, it
/// does): the server then drops the handler mid-sleep.
struct Leave<'a>(&'a Site, &'a str, usize);

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.0.leave(self.1, self.2);
    }
}

/// The webhook receiver: every body posted to `/hook`.
#[derive(Clone, Default)]
pub struct Hook(Arc<Mutex<Vec<Value>>>);

impl Hook {
    /// Serves it on a loopback port.
    pub async fn spawn(&self) -> u16 {
        let router = Router::new()
            .route("/hook", post(receive))
            .with_state(self.clone());
        argos_testkit::spawn_http(router).await.port()
    }

    /// How many times each alert id arrived (a message carries one or more alerts).
    pub fn received(&self) -> BTreeMap<i64, usize> {
        let mut ids = BTreeMap::new();
        for body in self.0.lock().unwrap().iter() {
            for item in body["alerts"].as_array().into_iter().flatten() {
                *ids.entry(item["id"].as_i64().unwrap()).or_default() += 1;
            }
        }
        ids
    }
}

async fn receive(State(h): State<Hook>, body: axum::Json<Value>) -> StatusCode {
    h.0.lock().unwrap().push(body.0);
    StatusCode::NO_CONTENT
}

/// Tasks with a result submitted after `since`.
pub async fn checked_since(db: &PgPool, since: DateTime<Utc>) -> usize {
    let n: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT task_id) FROM argos_results WHERE submitted_at > $1",
    )
    .bind(since)
    .fetch_one(db)
    .await
    .unwrap();
    n as usize
}

/// Waits until `n` alerts exist and none is waiting to be sent.
pub async fn wait_sent(db: &PgPool, n: usize, limit: Duration) {
    wait_until(limit, &format!("{n} alerts sent"), || async {
        let (alerts, unsent): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM argos_alerts), \
                    (SELECT count(*) FROM argos_alert_deliveries WHERE status <> 'sent')",
        )
        .fetch_one(db)
        .await
        .unwrap();
        alerts as usize >= n && unsent == 0
    })
    .await;
}

/// `task id → (agent, lease end)` of every live lease.
pub async fn leases(db: &PgPool) -> Leases {
    let rows: Vec<(i64, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT task_id, leased_by, lease_until FROM argos_task_runs \
         WHERE lease_until > now() AND leased_by IS NOT NULL",
    )
    .fetch_all(db)
    .await
    .unwrap();
    rows.into_iter().map(|(id, a, u)| (id, (a, u))).collect()
}
