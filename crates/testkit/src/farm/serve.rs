//! The farm's accept loop and its two tiny sites: `200` over HTTPS, `301` to HTTPS over HTTP.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};

use super::{Shared, site_index};

/// The first byte of a TLS handshake record.
const TLS_HANDSHAKE: u8 = 0x16;
/// Pause after an accept error (out of file descriptors), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(10);

pub(crate) async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let tcp = match listener.accept().await {
            Ok((tcp, _)) => tcp,
            Err(_) => {
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        // Only farm addresses are served: anything else (another interface of this
        // machine, or a farm address past its size) is closed at once.
        let site = tcp
            .local_addr()
            .ok()
            .and_then(|a| site_index(a.ip()))
            .filter(|&s| s < shared.tls.len());
        if let Some(site) = site {
            let _ = tcp.set_nodelay(true);
            tokio::spawn(connection(tcp, site, shared.clone()));
        }
    }
}

async fn connection(tcp: TcpStream, site: usize, shared: Arc<Shared>) {
    let mut first = [0u8; 1];
    if !matches!(tcp.peek(&mut first).await, Ok(1)) {
        return;
    }
    if first[0] == TLS_HANDSHAKE {
        let acceptor = tokio_rustls::TlsAcceptor::from(shared.tls[site].clone());
        if let Ok(tls) = acceptor.accept(tcp).await {
            serve(tls, site, true, shared).await;
        }
    } else {
        serve(tcp, site, false, shared).await;
    }
}

async fn serve<S>(io: S, site: usize, https: bool, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |req: Request<Incoming>| {
        shared.record(site as u32, https);
        let response = if https {
            page(site)
        } else {
            to_https(&req, site, shared.port)
        };
        async move { Ok::<_, Infallible>(response) }
    });
    let _ = http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(io), service)
        .await;
}

fn page(site: usize) -> Response<Body> {
    let html = format!("<!doctype html><title>site {site}</title><p>Site {site} of the farm.");
    Response::builder()
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .body(Body::from(html))
        .expect("a valid response")
}

fn to_https(req: &Request<Incoming>, site: usize, port: u16) -> Response<Body> {
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let location = format!("https://{}:{port}{path}", super::site_ip(site));
    Response::builder()
        .status(StatusCode::MOVED_PERMANENTLY)
        .header(header::LOCATION, location)
        .body(Body::empty())
        .expect("a valid response")
}
