//! Why a check failed, as a closed set: the probe's reasons (the request could not be made or
//! completed) and the checks' (the answer did not meet the expectation). Code compares these
//! values, never their text; the text (`as_str`, kebab-case) is the wire form of a result's
//! `reason`, shown on pages and read by the server.

use serde::{Deserialize, Serialize};

/// A machine-readable failure reason. Its wire form is kebab-case (`tls-expired`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Reason {
    /// No complete answer within the deadline.
    Timeout,
    /// The name did not resolve (in the task's IP family).
    Dns,
    /// No connection could be opened.
    Connect,
    /// The certificate has expired.
    TlsExpired,
    /// The certificate is not valid yet.
    TlsNotYetValid,
    /// The certificate is not trusted.
    TlsUntrusted,
    /// The certificate is not for this host.
    TlsHostname,
    /// Another TLS failure.
    Tls,
    /// The server does not speak HTTP (or hung up mid-answer).
    Protocol,
    /// The body could not be read (or decompressed).
    Body,
    /// A followed redirect chain was longer than allowed.
    TooManyRedirects,
    /// A followed redirect came back to a URL already visited.
    RedirectLoop,
    /// A redirect's `Location` is not an http(s) URL.
    BadRedirect,
    /// A redirect went to a loopback, private, link-local or unspecified address (which a path
    /// must opt in to).
    RedirectBlocked,
    /// Anything else that stopped the request.
    Other,
    /// The status code was not the expected one.
    HttpStatus,
    /// The answer was slower than a threshold (`response-time`).
    Slow,
    /// The answer did not meet the check's expectation.
    Expectation,
}

impl Reason {
    /// The wire text (`tls-expired`).
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Parses the wire text.
    pub fn parse(text: &str) -> Option<Reason> {
        text.parse().ok()
    }

    /// The certificate itself was refused: the handshake failed on it.
    pub fn is_certificate(self) -> bool {
        matches!(
            self,
            Reason::TlsExpired
                | Reason::TlsNotYetValid
                | Reason::TlsUntrusted
                | Reason::TlsHostname
        )
    }

    /// A short type name for the context's `error_type` (`Timeout`, `TlsError`, ...), in the
    /// reference's spirit of naming the exception class.
    pub fn error_type(self) -> &'static str {
        match self {
            Reason::Timeout => "Timeout",
            Reason::Dns => "DnsError",
            Reason::Connect => "ConnectError",
            Reason::Protocol => "ProtocolError",
            Reason::Body => "BodyError",
            Reason::TooManyRedirects
            | Reason::RedirectLoop
            | Reason::BadRedirect
            | Reason::RedirectBlocked => "RedirectError",
            Reason::TlsExpired
            | Reason::TlsNotYetValid
            | Reason::TlsUntrusted
            | Reason::TlsHostname
            | Reason::Tls => "TlsError",
            Reason::Other | Reason::HttpStatus | Reason::Slow | Reason::Expectation => {
                "RequestError"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantArray;

    #[test]
    fn wire_texts_are_the_documented_ones() {
        let texts: Vec<&str> = Reason::VARIANTS.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            texts,
            [
                "timeout",
                "dns",
                "connect",
                "tls-expired",
                "tls-not-yet-valid",
                "tls-untrusted",
                "tls-hostname",
                "tls",
                "protocol",
                "body",
                "too-many-redirects",
                "redirect-loop",
                "bad-redirect",
                "redirect-blocked",
                "other",
                "http-status",
                "slow",
                "expectation",
            ]
        );
        for r in Reason::VARIANTS {
            assert_eq!(Reason::parse(r.as_str()), Some(*r));
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        assert_eq!(Reason::parse("nope"), None);
    }
}
