//! `ssl-certificate-expiration`: how long until the site's certificate expires.
//!
//! The agent only measures; the server compares with its thresholds (see [`crate::finalize()`]),
//! so the status is `on-check`. A certificate that is already expired or otherwise invalid
//! fails the TLS handshake, and the request failure (`tls-expired`, ...) is the result.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Invalid, context};
use crate::Outcome;
use crate::probe::Fetched;
use crate::wire::Status;

/// The config name.
pub const NAME: &str = "ssl-certificate-expiration";

const SECONDS_PER_DAY: i64 = 86_400;

/// Reports the certificate's expiry. Any expected string is accepted (conventionally
/// `"on-check"`, which is also the canonical form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SslCertificateExpiration;

impl SslCertificateExpiration {
    /// The canonical expected string: `"on-check"`.
    pub fn expected(&self) -> String {
        "on-check".to_owned()
    }

    /// `on-check` with `{expires_in: whole days (floor), expires_in_seconds, not_after}`, or
    /// an `error` when the URL is not HTTPS.
    pub fn evaluate(&self, fetched: &Fetched) -> Outcome {
        self.evaluate_at(fetched, Utc::now())
    }

    fn evaluate_at(&self, fetched: &Fetched, now: DateTime<Utc>) -> Outcome {
        if fetched.url.scheme() != "https" {
            return Outcome::error(
                "NotHttps",
                format!(
                    "{} is not an HTTPS URL: there is no certificate to check",
                    fetched.url
                ),
            );
        }
        let Some(tls) = &fetched.tls else {
            return Outcome::error(
                "NoCertificate",
                "the TLS connection gave no readable peer certificate",
            );
        };
        let seconds = (tls.not_after - now).num_seconds();
        let ctx = context(json!({
            "expires_in": seconds.div_euclid(SECONDS_PER_DAY),
            "expires_in_seconds": seconds,
            "not_after": tls.not_after.to_rfc3339(),
        }));
        Outcome::new(Status::OnCheck, ctx)
    }
}

impl TryFrom<String> for SslCertificateExpiration {
    type Error = Invalid;

    fn try_from(_: String) -> Result<SslCertificateExpiration, Invalid> {
        Ok(SslCertificateExpiration)
    }
}

impl From<SslCertificateExpiration> for String {
    fn from(check: SslCertificateExpiration) -> String {
        check.expected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::TlsFacts;
    use chrono::TimeZone;

    #[test]
    fn any_text_is_canonically_on_check() {
        let check = SslCertificateExpiration::try_from("whatever".to_owned()).unwrap();
        assert_eq!(check.expected(), "on-check");
    }

    #[test]
    fn reports_days_floored() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut f = Fetched::test(200, &[], b"");
        f.url = url::Url::parse("https://example.org/").unwrap();
        f.tls = Some(TlsFacts {
            not_after: now + chrono::Duration::hours(30 * 24 - 1),
        });
        let out = SslCertificateExpiration.evaluate_at(&f, now);
        assert_eq!(out.status, Status::OnCheck);
        assert_eq!(out.context["expires_in"], 29);
        assert_eq!(out.context["expires_in_seconds"], 30 * 86_400 - 3_600);
        assert_eq!(out.context["not_after"], "2026-01-30T23:00:00+00:00");
        f.tls = Some(TlsFacts {
            not_after: now - chrono::Duration::hours(1),
        });
        assert_eq!(
            SslCertificateExpiration.evaluate_at(&f, now).context["expires_in"],
            -1
        );
    }

    #[test]
    fn plain_http_is_an_error() {
        let f = Fetched::test(200, &[], b"");
        let out = SslCertificateExpiration.evaluate(&f);
        assert_eq!(out.status, Status::Error);
        assert_eq!(out.context["error_type"], "NotHttps");
        assert!(
            out.context["error_message"]
                .as_str()
                .unwrap()
                .contains("is not an HTTPS URL")
        );
    }
}
