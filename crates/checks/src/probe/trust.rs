//! Which certificate authorities the probe trusts.
//!
//! reqwest's rustls default is rustls-platform-verifier. On Linux that verifier is webpki
//! over the roots from rustls-native-certs, which reads the system store, or, when
//! `SSL_CERT_FILE`/`SSL_CERT_DIR` are set, those instead (the OpenSSL convention).
//! `tls_certs_merge` adds extra roots to it (`Verifier::new_with_extra_roots`; verified by the
//! integration tests). We add the environment's files explicitly too, so they are trusted on
//! every platform, and the caller's `extra_roots_pem`.
//!
//! rustls rejects the whole verifier if one extra root is unusable, so each certificate is
//! tried alone first and skipped (with a warning) when rustls would not accept it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rustls::pki_types::CertificateDer;

use super::ProbeError;

/// The extra roots: certificates from `SSL_CERT_FILE`, `SSL_CERT_DIR` and `extra_pem`.
///
/// # Errors
/// When a PEM given in `extra_pem` holds no usable certificate. Unreadable files named by the
/// environment are only logged: the system store still applies.
pub(crate) fn extra_roots(extra_pem: &[Vec<u8>]) -> Result<Vec<reqwest::Certificate>, ProbeError> {
    let mut ders = Vec::new();
    for path in env_files() {
        match std::fs::read(&path) {
            Ok(pem) => ders.extend(pem_certificates(&pem)),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot read trusted certificates")
            }
        }
    }
    for (i, pem) in extra_pem.iter().enumerate() {
        let found = pem_certificates(pem);
        if found.is_empty() {
            return Err(ProbeError::Certificates(format!(
                "extra root #{} holds no PEM certificate",
                i + 1
            )));
        }
        ders.extend(found);
    }
    let mut seen = HashSet::new();
    let usable = ders
        .into_iter()
        .filter(|der| seen.insert(der.clone()) && is_usable_root(der));
    Ok(usable
        .map(|der| reqwest::Certificate::from_der(&der))
        .collect::<Result<_, _>>()?)
}

/// `SSL_CERT_FILE`, and every `*.pem`/`*.crt` in the `:`-separated `SSL_CERT_DIR`.
fn env_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::env::var_os("SSL_CERT_FILE")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    if let Some(dirs) = std::env::var_os("SSL_CERT_DIR") {
        for dir in std::env::split_paths(&dirs) {
            files.extend(certificate_files(&dir));
        }
    }
    files
}

fn certificate_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pem" || x == "crt"))
        .collect();
    files.sort();
    files
}

/// The DER of every `CERTIFICATE` block in a PEM text; other blocks are ignored.
fn pem_certificates(pem: &[u8]) -> Vec<Vec<u8>> {
    use rustls::pki_types::pem::PemObject;
    CertificateDer::pem_slice_iter(pem)
        .filter_map(Result::ok)
        .map(|der| der.as_ref().to_vec())
        .collect()
}

fn is_usable_root(der: &[u8]) -> bool {
    let mut store = rustls::RootCertStore::empty();
    let ok = store.add(CertificateDer::from(der.to_vec())).is_ok();
    if !ok {
        tracing::warn!("skipping a trusted certificate that rustls cannot use as a root");
    }
    ok
}
