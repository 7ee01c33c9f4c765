//! Small sites with one behaviour each, to serve with [`spawn_http`](crate::spawn_http) and
//! friends: redirect chains and loops, slow answers, and a port nobody listens on.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

/// Redirects:
/// - `/hop/{n}`: `302` to `/hop/{n-1}`; `/hop/0` answers `200 arrived`;
/// - `/loop/a` and `/loop/b`: `301` to each other, forever;
/// - `/away/{n}`: `307` to `/away/{n+1}`, never arriving;
/// - `/moved`: `301` to `/new`; `/new` answers `200 new page`.
pub fn redirects() -> Router {
    Router::new()
        .route("/hop/{n}", get(hop))
        .route(
            "/loop/a",
            get(|| async { to(StatusCode::MOVED_PERMANENTLY, "/loop/b") }),
        )
        .route(
            "/loop/b",
            get(|| async { to(StatusCode::MOVED_PERMANENTLY, "/loop/a") }),
        )
        .route("/away/{n}", get(away))
        .route(
            "/moved",
            get(|| async { to(StatusCode::MOVED_PERMANENTLY, "/new") }),
        )
        .route("/new", get(|| async { "new page" }))
}

fn to(status: StatusCode, location: &str) -> impl IntoResponse + use<> {
    (status, [(header::LOCATION, location.to_owned())])
}

async fn hop(Path(n): Path<u32>) -> axum::response::Response {
    match n {
        0 => "arrived".into_response(),
        n => to(StatusCode::FOUND, &format!("/hop/{}", n - 1)).into_response(),
    }
}

async fn away(Path(n): Path<u32>) -> impl IntoResponse {
    to(
        StatusCode::TEMPORARY_REDIRECT,
        &format!("/away/{}", n.saturating_add(1)),
    )
}

/// Answers every request with `200 slow but fine`, after `delay` (the connection is accepted
/// at once: only the answer is slow).
pub fn slow(delay: Duration) -> Router {
    Router::new().fallback(move || async move {
        tokio::time::sleep(delay).await;
        "slow but fine"
    })
}

/// A loopback address where nothing listens (a port bound then released), for refused
/// connections.
pub fn closed_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
    listener
        .local_addr()
        .expect("a bound listener has an address")
}

/// A loopback address that never answers a connection attempt: a listener whose accept queue
/// is full (nothing accepts, and two connections already wait), so the kernel drops further
/// SYNs and a connect hangs until the caller gives up, as with a blackholed address. Keep the
/// returned guard alive for as long as the address is used.
pub async fn blackhole() -> (
    SocketAddr,
    Vec<tokio::net::TcpStream>,
    tokio::net::TcpListener,
) {
    let socket = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
    socket
        .bind("127.0.0.1:0".parse().expect("an address"))
        .expect("binding 127.0.0.1:0");
    let listener = socket.listen(0).expect("listening");
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    let mut queued = Vec::new();
    // Fill the accept queue; each connect completes (the kernel answers) until it is full.
    for _ in 0..4 {
        let attempt = tokio::net::TcpStream::connect(addr);
        match tokio::time::timeout(Duration::from_millis(200), attempt).await {
            Ok(Ok(stream)) => queued.push(stream),
            _ => break,
        }
    }
    (addr, queued, listener)
}
