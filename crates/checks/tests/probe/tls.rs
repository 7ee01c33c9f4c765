//! Certificates: expiry facts on success, and precise reasons when the handshake fails.

use argos_checks::{Severity, Status, Threshold, finalize};
use argos_testkit::{TestCa, spawn_https, spawn_tls};
use chrono::{Duration, Utc};

use crate::support::{Hits, probe, reason, run_one, site, task};

const LOCAL: &[&str] = &["localhost", "127.0.0.1"];

fn thresholds() -> Vec<Threshold> {
    vec![
        Threshold {
            days: 1.0,
            severity: Severity::Critical,
        },
        Threshold {
            days: 5.0,
            severity: Severity::Warning,
        },
    ]
}

/// Runs `ssl-certificate-expiration` on https://localhost:<port>/ and finalizes it.
async fn ssl_check(
    ca: &TestCa,
    trusted: &[String],
    hostnames: &[&str],
    days: i64,
) -> (argos_checks::AgentResult, (Status, Severity)) {
    let addr = spawn_https(
        site(Hits::default()),
        ca,
        hostnames,
        Utc::now() + Duration::days(days),
    )
    .await;
    let url = format!("https://localhost:{}/", addr.port());
    let result = run_one(
        &probe(trusted),
        task(1, &url, "ssl-certificate-expiration", "on-check"),
    )
    .await;
    let verdict = finalize(
        "ssl-certificate-expiration",
        result.status,
        &result.context,
        &thresholds(),
    );
    (result, verdict)
}

#[tokio::test]
async fn a_valid_certificate_reports_its_expiry() {
    let ca = TestCa::new();
    let (r, verdict) = ssl_check(&ca, &[ca.pem()], LOCAL, 30).await;
    assert_eq!(r.status, Status::OnCheck, "{:?}", r.context);
    // notAfter has second precision and a moment passes before the check: just under 30 days.
    assert_eq!(r.context["expires_in"], 29);
    let seconds = r.context["expires_in_seconds"].as_i64().unwrap();
    assert!(
        (30 * 86_400 - 60..=30 * 86_400).contains(&seconds),
        "{seconds}"
    );
    assert!(r.context["not_after"].as_str().unwrap().ends_with("+00:00"));
    assert_eq!(verdict, (Status::Success, Severity::Ok));
}

#[tokio::test]
async fn other_checks_work_over_tls() {
    let ca = TestCa::new();
    let addr = spawn_https(
        site(Hits::default()),
        &ca,
        LOCAL,
        Utc::now() + Duration::days(30),
    )
    .await;
    let url = format!("https://localhost:{}/", addr.port());
    let r = run_one(
        &probe(&[ca.pem()]),
        task(1, &url, "body-contains", "Welcome"),
    )
    .await;
    assert_eq!(r.status, Status::Success, "{:?}", r.context);
}

#[tokio::test]
async fn a_certificate_expiring_soon_is_a_warning() {
    let ca = TestCa::new();
    let (r, verdict) = ssl_check(&ca, &[ca.pem()], LOCAL, 3).await;
    assert_eq!(r.status, Status::OnCheck);
    assert_eq!(r.context["expires_in"], 2);
    assert_eq!(verdict, (Status::Failure, Severity::Warning));
}

#[tokio::test]
async fn an_expired_certificate_is_critical() {
    let ca = TestCa::new();
    let (r, verdict) = ssl_check(&ca, &[ca.pem()], LOCAL, -3).await;
    assert_eq!(
        (r.status, reason(&r)),
        (Status::Failure, "tls-expired"),
        "{:?}",
        r.context
    );
    assert_eq!(r.context["error_type"], "TlsError");
    assert_eq!(verdict, (Status::Failure, Severity::Critical));
}

#[tokio::test]
async fn a_certificate_for_another_host_is_a_hostname_failure() {
    let ca = TestCa::new();
    let (r, _) = ssl_check(&ca, &[ca.pem()], &["wrong.test"], 30).await;
    assert_eq!(
        (r.status, reason(&r)),
        (Status::Failure, "tls-hostname"),
        "{:?}",
        r.context
    );
}

#[tokio::test]
async fn an_unknown_ca_is_untrusted() {
    let (ca, other) = (TestCa::new(), TestCa::new());
    let (r, _) = ssl_check(&ca, &[other.pem()], LOCAL, 30).await;
    assert_eq!(
        (r.status, reason(&r)),
        (Status::Failure, "tls-untrusted"),
        "{:?}",
        r.context
    );
    let (r, _) = ssl_check(&ca, &[], LOCAL, 30).await;
    assert_eq!(
        reason(&r),
        "tls-untrusted",
        "the system store must not trust a test CA"
    );
}

#[tokio::test]
async fn a_certificate_not_yet_valid_says_so() {
    let ca = TestCa::new();
    let now = Utc::now();
    let config = ca.server_config_between(LOCAL, now + Duration::days(2), now + Duration::days(30));
    let addr = spawn_tls(site(Hits::default()), config).await;
    let url = format!("https://localhost:{}/", addr.port());
    let r = run_one(&probe(&[ca.pem()]), task(1, &url, "status-is", "200")).await;
    assert_eq!(
        (r.status, reason(&r)),
        (Status::Failure, "tls-not-yet-valid"),
        "{:?}",
        r.context
    );
}

#[tokio::test]
async fn an_ip_address_certificate_works() {
    let ca = TestCa::new();
    let addr = spawn_https(
        site(Hits::default()),
        &ca,
        LOCAL,
        Utc::now() + Duration::days(30),
    )
    .await;
    let r = run_one(
        &probe(&[ca.pem()]),
        task(1, &format!("https://{addr}/"), "status-is", "200"),
    )
    .await;
    assert_eq!(r.status, Status::Success, "{:?}", r.context);
}

#[tokio::test]
async fn every_https_result_carries_the_days_to_expiry() {
    let ca = TestCa::new();
    let addr = spawn_https(
        site(Hits::default()),
        &ca,
        LOCAL,
        Utc::now() + Duration::days(30),
    )
    .await;
    let url = format!("https://localhost:{}/", addr.port());
    let r = run_one(&probe(&[ca.pem()]), task(1, &url, "status-is", "200")).await;
    assert_eq!(r.status, Status::Success, "{:?}", r.context);
    assert_eq!(r.context["certificate"]["expires_in_days"], 29);
    // Over TLS (and HTTP/2) too, the phases are measured: connect_ms includes the handshake.
    for phase in ["dns_ms", "connect_ms", "ttfb_ms", "total_ms"] {
        assert!(
            r.context["timings"][phase].is_number(),
            "{phase}: {}",
            r.context
        );
    }
    let r = run_one(&probe(&[ca.pem()]), task(1, &url, "status-is", "500")).await;
    assert_eq!(
        r.context["certificate"]["expires_in_days"], 29,
        "on failures too"
    );
}

/// A certificate the handshake refuses: (reason, days from now of notBefore, of notAfter,
/// names, trusted).
const BAD_CERTIFICATES: &[(&str, i64, i64, &[&str], bool)] = &[
    ("tls-expired", -30, -3, LOCAL, true),
    ("tls-not-yet-valid", 2, 30, LOCAL, true),
    ("tls-hostname", -1, 30, &["wrong.test"], true),
    ("tls-untrusted", -1, 30, LOCAL, false),
];

#[tokio::test]
async fn a_refused_certificate_is_critical_for_every_check_and_still_shows_its_expiry() {
    let checks = [
        ("status-is", "200"),
        ("body-contains", "Welcome"),
        ("body-not-contains", "nope"),
        ("response-time", r#"{"warning_ms": 5000}"#),
        ("redirects-to", "/x"),
        ("json-is", "{}"),
        ("headers-contain", r#"["server"]"#),
        ("ssl-certificate-expiration", "on-check"),
    ];
    for &(want, from, to, names, trusted) in BAD_CERTIFICATES {
        let ca = TestCa::new();
        let config = ca.server_config_between(
            names,
            Utc::now() + Duration::days(from),
            Utc::now() + Duration::days(to),
        );
        let hits = Hits::default();
        let addr = spawn_tls(site(hits.clone()), config).await;
        let url = format!("https://localhost:{}/", addr.port());
        let tasks: Vec<_> = checks
            .iter()
            .enumerate()
            .map(|(i, (c, e))| task(i as i64, &url, c, e))
            .collect();
        let roots = if trusted { vec![ca.pem()] } else { Vec::new() };
        let results = argos_checks::group::run_group(&probe(&roots), &tasks).await;
        for (r, (check, _)) in results.iter().zip(checks) {
            assert_eq!(reason(r), want, "{check}: {:?}", r.context);
            let verdict = finalize(check, r.status, &r.context, &thresholds());
            assert_eq!(
                verdict,
                (Status::Failure, Severity::Critical),
                "{want} {check}"
            );
            let days = r.context["certificate"]["expires_in_days"].as_i64();
            // Floored days; an expired one may sit on the boundary within its first second.
            let ok = matches!(days, Some(d) if d == to - 1 || (to < 0 && d == to));
            assert!(ok, "{want} {check}: {:?}", r.context);
        }
        assert_eq!(
            hits.count(),
            1,
            "{want}: only the certificate read, no check request"
        );
    }
}
