//! The TLS crypto of the probe's clients, and of the process's other rustls clients that
//! take the process default (reqwest's, for the alert channels).
//!
//! aws-lc-rs, as everywhere in Argos, with one change of order: AES-128-GCM with SHA-256
//! is offered before AES-256-GCM with SHA-384, as browsers and Go's TLS (Gatus,
//! blackbox_exporter) offer them. Many servers (nginx by default, rustls) take the client's
//! first suite they support, and a handshake hashes its transcript and keys with the suite's
//! hash: SHA-384 runs in software where SHA-256 has instructions of its own on current x86 and
//! ARM CPUs. A profile of the agent in a 10,000-site cold start spent 5.0 % of its CPU in
//! software SHA-512 blocks; with this order, 1.05 % in SHA-256 ones.

use rustls::CipherSuite;
use rustls::crypto::{CryptoProvider, aws_lc_rs};

/// The provider: aws-lc-rs's suites, AES-128-GCM first within each TLS version.
pub fn provider() -> CryptoProvider {
    let mut provider = aws_lc_rs::default_provider();
    provider
        .cipher_suites
        .sort_by_key(|s| (s.tls13().is_none(), !is_aes_128_gcm(s.suite())));
    provider
}

/// Makes [`provider`] the process's default, which reqwest (the probe, the alert channels)
/// and other rustls clients built without a provider of their own take. Once per process: a
/// default installed before is left alone.
pub fn install() {
    let _already_set = provider().install_default();
}

fn is_aes_128_gcm(suite: CipherSuite) -> bool {
    matches!(
        suite,
        CipherSuite::TLS13_AES_128_GCM_SHA256
            | CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
            | CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aes_128_gcm_leads_each_version_and_no_suite_is_lost() {
        let suites: Vec<_> = provider().cipher_suites.iter().map(|s| s.suite()).collect();
        let mut default: Vec<_> = aws_lc_rs::default_provider()
            .cipher_suites
            .iter()
            .map(|s| s.suite())
            .collect();
        assert_eq!(suites[0], CipherSuite::TLS13_AES_128_GCM_SHA256);
        let first_tls12 = provider()
            .cipher_suites
            .iter()
            .position(|s| s.tls13().is_none())
            .expect("TLS 1.2 suites are offered");
        assert!(is_aes_128_gcm(suites[first_tls12]));
        let mut sorted = suites.clone();
        sorted.sort_by_key(|s| u16::from(*s));
        default.sort_by_key(|s| u16::from(*s));
        assert_eq!(sorted, default);
    }
}
