//! From a failed request to a machine-readable `reason`.
//!
//! reqwest's own predicates (`is_timeout`, `is_connect`) are too coarse: a certificate
//! problem, a DNS failure and a refused connection are all "connect" errors. So the source
//! chain is walked and known types are downcast: `rustls::Error` for TLS, our
//! [`DnsError`](super::resolve::DnsError) for DNS, `hyper::Error` for malformed HTTP.

use std::error::Error as StdError;
use std::io;

use rustls::{CertificateError, Error as TlsError};

use super::resolve::DnsError;
use crate::reason::Reason;

/// Deep enough for reqwest → hyper-util → io → rustls with room to spare; guards cycles.
const MAX_DEPTH: usize = 16;

/// Every error in the chain, with the payload of each `io::Error` included: its `source()`
/// skips the payload and goes straight to the payload's own source.
fn chain<'a>(err: &'a (dyn StdError + 'static)) -> Vec<&'a (dyn StdError + 'static)> {
    let mut out = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next.take() {
        if out.len() >= MAX_DEPTH {
            break;
        }
        out.push(e);
        // The payload may itself be an io::Error (hyper-util wraps rustls' one): loop on it.
        next = match e.downcast_ref::<io::Error>().and_then(io::Error::get_ref) {
            Some(payload) => Some(payload),
            None => e.source(),
        };
    }
    out
}

/// The reason for a failed request.
pub(crate) fn reason(err: &reqwest::Error) -> Reason {
    let causes = chain(err);
    // TLS first: a failed handshake is also a "connect" error, and may carry a timeout.
    if let Some(tls) = causes.iter().find_map(|e| e.downcast_ref::<TlsError>()) {
        return tls_reason(tls);
    }
    if err.is_timeout() || causes.iter().any(|e| is_timeout(*e)) {
        return Reason::Timeout;
    }
    if causes.iter().any(|e| e.is::<DnsError>()) {
        return Reason::Dns;
    }
    if causes
        .iter()
        .filter_map(|e| e.downcast_ref::<hyper::Error>())
        .any(is_protocol)
    {
        return Reason::Protocol;
    }
    if err.is_connect() {
        return Reason::Connect;
    }
    if err.is_body() || err.is_decode() {
        return Reason::Body;
    }
    Reason::Other
}

fn is_timeout(e: &(dyn StdError + 'static)) -> bool {
    e.downcast_ref::<io::Error>()
        .is_some_and(|io| io.kind() == io::ErrorKind::TimedOut)
        || e.downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_timeout)
}

/// The server answered, but not with HTTP we can read (or hung up mid-answer).
fn is_protocol(e: &hyper::Error) -> bool {
    e.is_parse() || e.is_incomplete_message()
}

fn tls_reason(err: &TlsError) -> Reason {
    match err {
        TlsError::InvalidCertificate(cert) => certificate_reason(cert),
        _ => Reason::Tls,
    }
}

fn certificate_reason(err: &CertificateError) -> Reason {
    use CertificateError as C;
    match err {
        C::Expired | C::ExpiredContext { .. } => Reason::TlsExpired,
        C::NotValidYet | C::NotValidYetContext { .. } => Reason::TlsNotYetValid,
        C::NotValidForName | C::NotValidForNameContext { .. } => Reason::TlsHostname,
        C::UnknownIssuer
        | C::BadSignature
        | C::BadEncoding
        | C::Revoked
        | C::UnhandledCriticalExtension
        | C::InvalidPurpose
        | C::InvalidPurposeContext { .. } => Reason::TlsUntrusted,
        _ => Reason::Tls,
    }
}

/// A one-line message: every distinct text in the chain, outermost first.
pub(crate) fn message(err: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for e in chain(err) {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_errors_map_to_precise_reasons() {
        let reason = |e| tls_reason(&TlsError::InvalidCertificate(e));
        assert_eq!(reason(CertificateError::Expired), Reason::TlsExpired);
        assert_eq!(
            reason(CertificateError::NotValidYet),
            Reason::TlsNotYetValid
        );
        assert_eq!(
            reason(CertificateError::UnknownIssuer),
            Reason::TlsUntrusted
        );
        assert_eq!(
            reason(CertificateError::NotValidForName),
            Reason::TlsHostname
        );
        assert_eq!(tls_reason(&TlsError::HandshakeNotComplete), Reason::Tls);
    }

    #[test]
    fn io_payloads_are_part_of_the_chain() {
        let tls = TlsError::InvalidCertificate(CertificateError::Expired);
        let io = io::Error::other(io::Error::new(io::ErrorKind::InvalidData, tls));
        let found = chain(&io)
            .iter()
            .find_map(|e| e.downcast_ref::<TlsError>())
            .cloned();
        assert_eq!(
            found,
            Some(TlsError::InvalidCertificate(CertificateError::Expired))
        );
    }
}
