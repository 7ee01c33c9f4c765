//! A local site farm for benchmarks and scale tests: many HTTPS sites on one machine, with no
//! internet, no DNS and no edit of `/etc/hosts`.
//!
//! - Site `i` lives on its own loopback address ([`site_ip`]: `127.1.0.1`, `127.1.0.2`, …;
//!   Linux routes all of `127.0.0.0/8` to `lo`), so every site is a distinct host to a client
//!   (its own connections, its own certificate) while needing no name resolution.
//! - One listening socket on the wildcard address and one port serves them all: the accepted
//!   socket's local address says which site was asked for, and picks that site's certificate
//!   (an IP SAN, signed by the farm's own [`TestCa`]: IP hosts send no SNI, so the
//!   certificate cannot be picked from the handshake). Connections to any address outside the
//!   farm (another interface included) are closed unanswered.
//! - HTTP and HTTPS share the port, told apart by the first byte (as [`spawn_dual`]): so
//!   `http://IP:PORT/` answers `301` to `https://IP:PORT/`, which is what `http-to-https`
//!   checks, and `https://IP:PORT/` answers `200` with a small page.
//! - Only HTTP/1.1 is offered (ALPN), without TLS session tickets: like a default nginx
//!   virtual host, every new connection is a full handshake.
//! - Every request is logged with its arrival time ([`Farm::take_arrivals`]): what a site
//!   saw is how a benchmark tells, from outside, when each check really ran.
//!
//! [`spawn_dual`]: crate::spawn_dual

mod serve;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use rustls::ServerConfig;
use rustls::server::NoServerSessionStorage;
use tokio::net::TcpSocket;
use tokio::task::JoinHandle;

use crate::TestCa;

/// The most sites a farm holds: `127.1.0.1` to `127.1.255.254` (no `.0` or `.255` host part).
pub const MAX_SITES: usize = 256 * 254;

/// Connections waiting to be accepted (the kernel caps it at `net.core.somaxconn`).
const ACCEPT_QUEUE: u32 = 4096;

/// The address of site `i`: `127.1.x.y` with `y` in 1..=254.
///
/// # Panics
/// When `i` is not below [`MAX_SITES`].
pub fn site_ip(i: usize) -> Ipv4Addr {
    assert!(i < MAX_SITES, "a farm holds at most {MAX_SITES} sites");
    let (x, y) = (i / 254, i % 254 + 1);
    Ipv4Addr::new(127, 1, x as u8, y as u8)
}

/// The site living on `ip`, if `ip` is a farm address (whatever the farm's size).
pub fn site_index(ip: IpAddr) -> Option<usize> {
    let IpAddr::V4(ip) = ip else { return None };
    match ip.octets() {
        [127, 1, x, y] if (1..=254).contains(&y) => Some(usize::from(x) * 254 + usize::from(y - 1)),
        _ => None,
    }
}

/// One request a site received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    /// The site's number.
    pub site: u32,
    /// Over HTTPS (else plain HTTP).
    pub https: bool,
    /// When its head was read, in Unix milliseconds.
    pub at_ms: i64,
}

/// What the sites share while serving.
pub(crate) struct Shared {
    pub(crate) port: u16,
    /// Site `i`'s TLS configuration (its certificate).
    pub(crate) tls: Vec<Arc<ServerConfig>>,
    pub(crate) arrivals: Mutex<Vec<Arrival>>,
    pub(crate) served: AtomicU64,
}

impl Shared {
    pub(crate) fn record(&self, site: u32, https: bool) {
        let at_ms = Utc::now().timestamp_millis();
        self.served.fetch_add(1, Ordering::Relaxed);
        let mut log = self.arrivals.lock().unwrap_or_else(|e| e.into_inner());
        log.push(Arrival { site, https, at_ms });
    }
}

/// A running farm; it stops serving when dropped.
pub struct Farm {
    ca: TestCa,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl Drop for Farm {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl Farm {
    /// Issues `sites` certificates (valid for a year) and serves the sites on `port` (0: a
    /// free one), on every farm address at once. `on_issued` is called after each
    /// certificate (they take most of the start-up time: about 0.1 ms each).
    ///
    /// # Errors
    /// When the port cannot be bound.
    ///
    /// # Panics
    /// When `sites` is above [`MAX_SITES`].
    pub async fn start(
        sites: usize,
        port: u16,
        on_issued: impl Fn(usize) + Send + 'static,
    ) -> std::io::Result<Farm> {
        assert!(sites <= MAX_SITES, "a farm holds at most {MAX_SITES} sites");
        let ca = TestCa::new();
        let (ca, tls) = tokio::task::spawn_blocking(move || {
            let tls = (0..sites)
                .map(|i| {
                    let config = site_config(&ca, site_ip(i));
                    on_issued(i + 1);
                    config
                })
                .collect();
            (ca, tls)
        })
        .await
        .expect("issuing the farm's certificates");
        // The wildcard address: one socket for every 127.1.x.y. Non-farm addresses are
        // refused at accept (see `serve`). A long accept queue: with the default (128), a
        // burst of new connections overflows it and the kernel drops SYNs, which clients
        // retry only after a second.
        let socket = TcpSocket::new_v4()?;
        socket.set_reuseaddr(true)?;
        socket.bind(SocketAddr::from(([0, 0, 0, 0], port)))?;
        let listener = socket.listen(ACCEPT_QUEUE)?;
        let shared = Arc::new(Shared {
            port: listener.local_addr()?.port(),
            tls,
            arrivals: Mutex::new(Vec::new()),
            served: AtomicU64::new(0),
        });
        let accept = tokio::spawn(serve::accept_loop(listener, shared.clone()));
        Ok(Farm { ca, shared, accept })
    }

    /// The port every site listens on.
    pub fn port(&self) -> u16 {
        self.shared.port
    }

    /// How many sites the farm serves.
    pub fn sites(&self) -> usize {
        self.shared.tls.len()
    }

    /// `https://127.1.x.y:PORT` of site `i` (a website's `domain`, no path).
    pub fn origin(&self, i: usize) -> String {
        format!("https://{}:{}", site_ip(i), self.port())
    }

    /// Where site `i` listens.
    pub fn addr(&self, i: usize) -> SocketAddr {
        SocketAddr::from((site_ip(i), self.port()))
    }

    /// The farm CA's certificate in PEM: what a client must trust (e.g. `SSL_CERT_FILE`).
    pub fn ca_pem(&self) -> String {
        self.ca.pem()
    }

    /// A rustls client configuration trusting the farm's CA, speaking HTTP/1.1.
    pub fn client_config(&self) -> Arc<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(self.ca.der())
            .expect("the farm CA is a usable root");
        let mut config = rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(config)
    }

    /// Requests answered since the start.
    pub fn served(&self) -> u64 {
        self.shared.served.load(Ordering::Relaxed)
    }

    /// The requests received since the last call (or the start), oldest first.
    pub fn take_arrivals(&self) -> Vec<Arrival> {
        let mut log = self
            .shared
            .arrivals
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        std::mem::take(&mut *log)
    }
}

/// Site `ip`'s TLS configuration: its own certificate, HTTP/1.1, no session resumption.
fn site_config(ca: &TestCa, ip: Ipv4Addr) -> Arc<ServerConfig> {
    let ip = ip.to_string();
    let now = Utc::now();
    let (chain, key) = ca.issue(&[&ip], now - Duration::days(1), now + Duration::days(365));
    let mut config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("a matching certificate and key");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config.session_storage = Arc::new(NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    Arc::new(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_addresses_round_trip_and_skip_network_and_broadcast_parts() {
        assert_eq!(site_ip(0), Ipv4Addr::new(127, 1, 0, 1));
        assert_eq!(site_ip(253), Ipv4Addr::new(127, 1, 0, 254));
        assert_eq!(site_ip(254), Ipv4Addr::new(127, 1, 1, 1));
        for i in [0, 1, 253, 254, 9_999, MAX_SITES - 1] {
            assert_eq!(site_index(IpAddr::V4(site_ip(i))), Some(i));
        }
        assert_eq!(site_index("127.0.0.1".parse().unwrap()), None);
        assert_eq!(site_index("127.1.0.0".parse().unwrap()), None);
        assert_eq!(site_index("10.1.0.1".parse().unwrap()), None);
    }
}
