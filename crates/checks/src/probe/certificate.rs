//! The server certificate's `notAfter`, for every HTTPS result.
//!
//! A successful request carries the leaf certificate (`tls_info(true)`). A handshake that
//! failed on the certificate (expired, not yet valid, untrusted, wrong host) gives no response
//! to read it from, so a second client that verifies nothing connects again and reads it
//! (shared/reference/crates.md §5). That client is only used for this: its response is never
//! checked, and it is only tried after a certificate failure, within what is left of the
//! probe's deadline.

use std::time::Duration;

use chrono::DateTime;

use super::{Probe, TlsFacts};
use crate::wire::IpVersion;

/// The leaf certificate's facts, when `resp` came over TLS.
pub(crate) fn facts(resp: &reqwest::Response) -> Option<TlsFacts> {
    let info = resp.extensions().get::<reqwest::tls::TlsInfo>()?;
    let (_, cert) = x509_parser::parse_x509_certificate(info.peer_certificate()?).ok()?;
    let not_after = DateTime::from_timestamp(cert.validity().not_after.timestamp(), 0)?;
    Some(TlsFacts { not_after })
}

impl Probe {
    /// The certificate `url` presents, read without verifying it; `None` when there is no
    /// time left or the server does not answer a HEAD over that connection.
    pub(crate) async fn peek_certificate(
        &self,
        url: &url::Url,
        family: IpVersion,
        budget: Duration,
    ) -> Option<TlsFacts> {
        if budget.is_zero() || url.scheme() != "https" {
            return None;
        }
        let request = self
            .client(family, false)
            .head(url.clone())
            .timeout(budget)
            .send();
        let resp = tokio::time::timeout(budget, request).await.ok()?.ok()?;
        facts(&resp)
    }
}
