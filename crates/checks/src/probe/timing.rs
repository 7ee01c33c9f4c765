//! Where the time of one probe went: DNS, connect (TCP + TLS), first byte, total.
//!
//! reqwest exposes no phases, and its resolver and connector are shared by every request of a
//! client. So each probe runs inside a task-local [`Phases`] cell ([`scope`]), and the resolver
//! and a connector layer ([`TimeConnect`]) record into the cell of the request they serve.
//! This relies on both being polled inside the request's own future: with no idle pool
//! (`pool_max_idle_per_host(0)`) hyper-util connects inline rather than in a background task.
//! Outside a scope they record nothing, and a phase that was not measured is left out of the
//! result rather than guessed.
//!
//! Only the first measurement of each phase is kept: with redirects followed, the phases are
//! those of the URL checked, and `total` covers the whole chain.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

tokio::task_local! {
    static PHASES: Arc<Phases>;
}

/// The phases measured so far in one probe.
#[derive(Debug, Default)]
pub(crate) struct Phases {
    dns: OnceLock<Duration>,
    /// DNS + TCP + TLS, as the connector sees it.
    connect: OnceLock<Duration>,
    ttfb: OnceLock<Duration>,
}

impl Phases {
    /// The phases as measured, with `total`.
    pub(crate) fn timings(&self, total: Duration) -> Timings {
        let dns = self.dns.get().copied();
        Timings {
            dns,
            connect: self
                .connect
                .get()
                .map(|c| c.saturating_sub(dns.unwrap_or_default())),
            ttfb: self.ttfb.get().copied(),
            total,
        }
    }

    /// Records the time to the first response head (from the start of the probe).
    pub(crate) fn first_byte(&self, since_start: Duration) {
        let _ = self.ttfb.set(since_start);
    }
}

/// Runs `fut` with `phases` as the cell the resolver and connector record into.
pub(crate) async fn scope<F: Future>(phases: Arc<Phases>, fut: F) -> F::Output {
    PHASES.scope(phases, fut).await
}

/// The cell of the probe being run on this task, if any.
pub(crate) fn current() -> Option<Arc<Phases>> {
    PHASES.try_with(Arc::clone).ok()
}

/// Records a DNS lookup's duration into `cell`.
pub(crate) fn record_dns(cell: Option<&Arc<Phases>>, took: Duration) {
    if let Some(cell) = cell {
        let _ = cell.dns.set(took);
    }
}

/// Records a connection's duration (DNS, TCP and TLS) into `cell`.
pub(crate) fn record_connect(cell: Option<&Arc<Phases>>, took: Duration) {
    if let Some(cell) = cell {
        let _ = cell.connect.set(took);
    }
}

/// Phase durations of one probe. `connect` is TCP + TLS (DNS excluded); `ttfb` runs from the
/// start of the probe to the first response head, as curl's `time_starttransfer`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timings {
    /// Name resolution (absent for an IP address, which needs none).
    pub dns: Option<Duration>,
    /// TCP connect plus TLS handshake.
    pub connect: Option<Duration>,
    /// Start of the probe to the response head (HTTP only).
    pub ttfb: Option<Duration>,
    /// Start of the probe to its end (last body byte read, or the failure).
    pub total: Duration,
}

impl Timings {
    /// `{dns_ms, connect_ms, ttfb_ms, total_ms}`, unmeasured phases left out; milliseconds
    /// with microsecond precision.
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        let phases = [
            ("dns_ms", self.dns),
            ("connect_ms", self.connect),
            ("ttfb_ms", self.ttfb),
            ("total_ms", Some(self.total)),
        ];
        for (key, value) in phases {
            if let Some(d) = value {
                map.insert(key.to_owned(), Value::from(millis(d)));
            }
        }
        Value::Object(map)
    }
}

/// Milliseconds, rounded to the microsecond.
pub(crate) fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1_000.0
}

/// A connector layer timing each connection into the current probe's cell.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimeConnect;

impl<S> tower::Layer<S> for TimeConnect {
    type Service = Timed<S>;

    fn layer(&self, inner: S) -> Timed<S> {
        Timed(inner)
    }
}

/// The connector wrapped by [`TimeConnect`].
#[derive(Debug, Clone)]
pub(crate) struct Timed<S>(S);

type Boxed<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, R> tower::Service<R> for Timed<S>
where
    S: tower::Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Boxed<S::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, dst: R) -> Self::Future {
        // Taken now: `call` runs inside the request's future, the returned future may not.
        let cell = current();
        let started = Instant::now();
        let connecting = self.0.call(dst);
        Box::pin(async move {
            let conn = connecting.await;
            if conn.is_ok() {
                record_connect(cell.as_ref(), started.elapsed());
            }
            conn
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn connect_excludes_dns_and_unmeasured_phases_are_left_out() {
        let phases = Phases::default();
        let _ = phases.dns.set(Duration::from_micros(1_500));
        let _ = phases.connect.set(Duration::from_micros(4_000));
        phases.first_byte(Duration::from_millis(9));
        phases.first_byte(Duration::from_millis(99)); // a later hop: ignored
        let t = phases.timings(Duration::from_millis(12));
        assert_eq!(
            t.to_json(),
            json!({"dns_ms": 1.5, "connect_ms": 2.5, "ttfb_ms": 9.0, "total_ms": 12.0})
        );
        let none = Phases::default().timings(Duration::from_nanos(1_234_567));
        assert_eq!(none.to_json(), json!({"total_ms": 1.235}));
    }

    #[tokio::test]
    async fn recording_only_happens_inside_a_scope() {
        record_dns(current().as_ref(), Duration::from_millis(1));
        let phases = Arc::new(Phases::default());
        scope(phases.clone(), async {
            record_dns(current().as_ref(), Duration::from_millis(3));
        })
        .await;
        assert_eq!(phases.dns.get(), Some(&Duration::from_millis(3)));
    }
}
