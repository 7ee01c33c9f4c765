//! Test helpers shared by the test suites of `argos-checks` and `argos-server`: local HTTP and
//! HTTPS servers on port 0, a throw-away certificate authority, misbehaving servers, and small
//! sites with one behaviour each (redirect chains and loops, slow answers: see [`redirects`],
//! [`slow`], [`closed_port`]).
//!
//! Everything binds to loopback (`127.0.0.1`, or `[::1]` where asked): no test touches the
//! internet. Servers run in background tokio tasks for the rest of the test's runtime.
//!
//! Not for production: errors panic with a message, which is what a test wants.
#![warn(missing_docs)]

pub mod farm;
pub mod ldap;
pub mod postgres;
pub mod process;
mod sites;
pub mod smtp;
pub mod tmpfs;

pub use sites::{blackhole, closed_port, redirects, slow};

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::{StatusCode, header};
use chrono::{DateTime, Duration, Utc};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves `router` over plain HTTP on `127.0.0.1:<free port>`.
pub async fn spawn_http(router: Router) -> SocketAddr {
    let addr = "127.0.0.1:0".parse().expect("a socket address");
    spawn_http_at(addr, router)
        .await
        .expect("binding 127.0.0.1:0")
}

/// Serves `router` over plain HTTP on `addr` (port 0 picks a free one), e.g. `[::1]:0`.
///
/// # Errors
/// When `addr` cannot be bound (for `[::1]`: the host has no IPv6 loopback).
pub async fn spawn_http_at(addr: SocketAddr, router: Router) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(addr)
}

/// A router answering every request with `301 Moved Permanently` and `Location: <to>`.
pub fn redirector(to: String) -> Router {
    Router::new().fallback(move || {
        let to = to.clone();
        async move { (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, to)]) }
    })
}

/// A TCP server that accepts connections and never says a word (nor closes them).
pub async fn spawn_silent() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binding 127.0.0.1:0");
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    tokio::spawn(async move {
        let mut held = Vec::new(); // kept open: dropping them would send FIN
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    addr
}

/// A TCP server that reads a request and answers with bytes that are not HTTP, then closes.
pub async fn spawn_garbage() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binding 127.0.0.1:0");
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                // Wait for the client to speak first, as a server would (a TLS client's hello
                // gets the same treatment).
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf).await;
                let _ = stream
                    .write_all(b"SSH-2.0-OpenSSH_9.6\r\n\x00\xff not HTTP at all\r\n\r\n")
                    .await;
                let _ = stream.shutdown().await;
            });
        }
    });
    addr
}

/// A certificate authority made for one test run.
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Default for TestCa {
    fn default() -> TestCa {
        TestCa::new()
    }
}

impl TestCa {
    /// A new CA (`Argos Test CA <key id>`), valid from yesterday for ten years.
    pub fn new() -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("no names is valid");
        // A unique name: two test CAs must not look like the same issuer to a verifier.
        let key = KeyPair::generate().expect("generating a key");
        let last: Vec<u8> = key.public_key_raw().iter().rev().take(6).copied().collect();
        let id = argos_checks::hex::encode(&last);
        params
            .distinguished_name
            .push(DnType::CommonName, format!("Argos Test CA {id}"));
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.not_before = to_time(Utc::now() - Duration::days(1));
        params.not_after = to_time(Utc::now() + Duration::days(3650));
        let issuer = CertifiedIssuer::self_signed(params, key).expect("self-signing the CA");
        TestCa { issuer }
    }

    /// The CA certificate in PEM, to add to a client's trusted roots.
    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// The CA certificate in DER.
    pub fn der(&self) -> CertificateDer<'static> {
        self.issuer.der().clone()
    }

    /// A server certificate for `hostnames` (DNS names or IP addresses), signed by this CA,
    /// valid from `not_before` to `not_after`. Returns the chain (leaf, then CA) and the key.
    pub fn issue(
        &self,
        hostnames: &[&str],
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
    ) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        let names: Vec<String> = hostnames.iter().map(|h| (*h).to_owned()).collect();
        let mut params = CertificateParams::new(names).expect("valid host names");
        if let Some(first) = hostnames.first() {
            params.distinguished_name.push(DnType::CommonName, *first);
        }
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        params.not_before = to_time(not_before);
        params.not_after = to_time(not_after);
        let key = KeyPair::generate().expect("generating a key");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("signing the leaf");
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        (vec![cert.der().clone(), self.der()], key)
    }

    /// A rustls server configuration presenting a certificate for `hostnames` that expires at
    /// `not_after` (already expired if it is in the past), speaking HTTP/2 and HTTP/1.1.
    pub fn server_config(
        &self,
        hostnames: &[&str],
        not_after: DateTime<Utc>,
    ) -> Arc<rustls::ServerConfig> {
        // Valid for a day before whichever comes first, so expired certificates stay coherent.
        let not_before = Utc::now().min(not_after) - Duration::days(1);
        self.server_config_between(hostnames, not_before, not_after)
    }

    /// Like [`TestCa::server_config`], with an explicit `not_before` (e.g. in the future).
    pub fn server_config_between(
        &self,
        hostnames: &[&str],
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
    ) -> Arc<rustls::ServerConfig> {
        let (chain, key) = self.issue(hostnames, not_before, not_after);
        let mut config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("a matching certificate and key");
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Arc::new(config)
    }
}

/// Serves `router` over HTTPS on `127.0.0.1:<free port>` with a certificate from `ca` for
/// `hostnames`, expiring at `not_after`. Handshakes the client refuses are ignored.
///
/// Typical certificates: valid (`&["localhost", "127.0.0.1"]`, in 30 days), expiring soon (in
/// 3 days), expired (3 days ago), wrong host (`&["wrong.test"]`).
pub async fn spawn_https(
    router: Router,
    ca: &TestCa,
    hostnames: &[&str],
    not_after: DateTime<Utc>,
) -> SocketAddr {
    spawn_tls(router, ca.server_config(hostnames, not_after)).await
}

/// Serves `router` over HTTPS on `127.0.0.1:<free port>` with any rustls configuration (for
/// certificates [`spawn_https`] does not make, e.g. not yet valid).
pub async fn spawn_tls(router: Router, config: Arc<rustls::ServerConfig>) -> SocketAddr {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binding 127.0.0.1:0");
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, router) = (acceptor.clone(), router.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = TowerToHyperService::new(router);
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    addr
}

/// Serves HTTPS (`https_router`, certificate as [`spawn_https`]) and plain HTTP (`http_router`)
/// on the SAME `127.0.0.1` port, told apart by the first byte a client sends (0x16 opens a TLS
/// handshake). `http-to-https` probes `http://host:port/` for `https://host:port/` (the
/// reference keeps an explicit port), so a test needs both protocols on one port.
pub async fn spawn_dual(
    https_router: Router,
    http_router: Router,
    ca: &TestCa,
    hostnames: &[&str],
    not_after: DateTime<Utc>,
) -> SocketAddr {
    let acceptor = tokio_rustls::TlsAcceptor::from(ca.server_config(hostnames, not_after));
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binding 127.0.0.1:0");
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, https, http) =
                (acceptor.clone(), https_router.clone(), http_router.clone());
            tokio::spawn(async move {
                let mut first = [0u8; 1];
                if !matches!(tcp.peek(&mut first).await, Ok(1)) {
                    return;
                }
                let builder = auto::Builder::new(TokioExecutor::new());
                if first[0] == 0x16 {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let _ = builder
                        .serve_connection(TokioIo::new(tls), TowerToHyperService::new(https))
                        .await;
                } else {
                    let _ = builder
                        .serve_connection(TokioIo::new(tcp), TowerToHyperService::new(http))
                        .await;
                }
            });
        }
    });
    addr
}

fn to_time(t: DateTime<Utc>) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(t.timestamp()).expect("a representable date")
}
