//! What a site sends, as it sent it: compressed bodies (the headers checks see are the site's,
//! `Content-Encoding` and `Content-Length` included), gzip bombs, legacy charsets.

use std::io::Write;
use std::time::{Duration, Instant};

use argos_checks::Status;
use argos_checks::probe::{Probe, ProbeOptions};
use argos_testkit::spawn_http;
use axum::Router;
use axum::http::HeaderMap;
use flate2::Compression;
use flate2::write::GzEncoder;

use crate::support::{probe, reason, run_one, task};

fn gzip(chunks: impl IntoIterator<Item = Vec<u8>>) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    for chunk in chunks {
        encoder.write_all(&chunk).unwrap();
    }
    encoder.finish().unwrap()
}

/// Serves `body` with `headers`, whatever the request.
async fn serve(headers: &[(&'static str, &'static str)], body: Vec<u8>) -> String {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        map.insert(*name, value.parse().unwrap());
    }
    let router = Router::new().fallback(move || {
        let (map, body) = (map.clone(), body.clone());
        async move { (map, body) }
    });
    format!("http://{}/", spawn_http(router).await)
}

#[tokio::test]
async fn header_checks_see_the_headers_the_site_sent() {
    let body = gzip([b"<html><h1>Welcome</h1></html>".to_vec()]);
    let headers = [
        ("content-encoding", "gzip"),
        ("content-type", "text/html; charset=utf-8"),
    ];
    let url = serve(&headers, body).await;
    let probe = probe(&[]);
    for (check, expected) in [
        ("headers-have", r#"{"content-encoding": "gzip"}"#),
        (
            "headers-contain",
            r#"["content-encoding", "content-length"]"#,
        ),
        ("headers-like", r#"{"content-length": "^[0-9]+$"}"#),
        ("body-contains", "Welcome"),
    ] {
        let r = run_one(&probe, task(1, &url, check, expected)).await;
        assert_eq!(r.status, Status::Success, "{check}: {:?}", r.context);
    }
}

#[tokio::test]
async fn a_gzip_bomb_is_cut_at_the_cap() {
    // 256 MiB of zeros in about 256 kB; only 1 MiB is ever inflated.
    let bomb = gzip((0..256).map(|_| vec![0u8; 1024 * 1024]));
    assert!(bomb.len() < 1024 * 1024);
    let url = serve(&[("content-encoding", "gzip")], bomb).await;
    let opts = ProbeOptions {
        max_body_bytes: 1024 * 1024,
        ..ProbeOptions::default()
    };
    let probe = Probe::new(opts).unwrap();
    let started = Instant::now();
    let req = argos_checks::probe::Request::get(url.parse().unwrap(), argos_checks::IpVersion::V4);
    let fetched = probe.fetch(&req).await.unwrap();
    assert_eq!(
        (fetched.body.len(), fetched.body_truncated),
        (1024 * 1024, true)
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    let r = run_one(&probe, task(1, &url, "body-contains", "x")).await;
    assert_eq!(
        (r.status, r.context["body_truncated"].as_bool()),
        (Status::Failure, Some(true))
    );
}

#[tokio::test]
async fn a_corrupt_gzip_body_is_a_body_failure() {
    let url = serve(&[("content-encoding", "gzip")], b"not gzip at all".to_vec()).await;
    let r = run_one(&probe(&[]), task(1, &url, "body-contains", "x")).await;
    assert_eq!(
        (r.status, reason(&r)),
        (Status::Failure, "body"),
        "{:?}",
        r.context
    );
    // A check that does not read the body still gets the failure: the answer is broken.
    let r = run_one(&probe(&[]), task(2, &url, "status-is", "200")).await;
    assert_eq!(r.status, Status::Failure);
}

#[tokio::test]
async fn a_legacy_charset_is_decoded_as_declared() {
    // "Accès refusé" in ISO-8859-1: è is 0xE8, é is 0xE9 (invalid as UTF-8).
    let body = b"<html><p>Acc\xe8s refus\xe9</p></html>".to_vec();
    let url = serve(&[("content-type", "text/html; charset=ISO-8859-1")], body).await;
    let probe = probe(&[]);
    let r = run_one(&probe, task(1, &url, "body-contains", "Accès")).await;
    assert_eq!(r.status, Status::Success, "{:?}", r.context);
    let r = run_one(&probe, task(2, &url, "body-not-contains", "Accès refusé")).await;
    assert_eq!(r.status, Status::Failure, "{:?}", r.context);
    let r = run_one(&probe, task(3, &url, "body-like", "Acc.s refus.<")).await;
    assert_eq!(r.status, Status::Success, "{:?}", r.context);
    assert_eq!(r.context["charset"], "windows-1252");
}

#[tokio::test]
async fn an_html_meta_charset_is_honoured() {
    let body = b"<html><head><meta charset=\"windows-1252\"></head><p>Acc\xe8s</p></html>".to_vec();
    let url = serve(&[("content-type", "text/html")], body).await;
    let r = run_one(&probe(&[]), task(1, &url, "body-contains", "Accès")).await;
    assert_eq!(r.status, Status::Success, "{:?}", r.context);
}

#[tokio::test]
async fn every_body_check_says_when_the_body_was_cut() {
    // Valid JSON once cut: the document read is not the whole one, and the result says so.
    let mut body = br#"{"a": 1}"#.to_vec();
    body.extend(vec![b' '; 4096]);
    let url = serve(&[("content-type", "application/json")], body).await;
    let probe = probe(&[]);
    for (check, expected) in [
        ("json-has", r#"{"/a": 1}"#),
        ("json-contains", r#"["/a"]"#),
        ("json-like", r#"{"/a": "x"}"#),
        ("json-is", r#"{"a": 1}"#),
        ("body-contains", r#""a""#),
        ("body-not-contains", "zzz"),
        ("body-like", "a"),
    ] {
        let mut t = task(1, &url, check, expected);
        t.request_options = Some(argos_checks::RequestOptions {
            max_body_bytes: Some(100),
            ..argos_checks::RequestOptions::default()
        });
        let r = run_one(&probe, t).await;
        assert_eq!(
            r.context["body_truncated"], true,
            "{check}: {:?}",
            r.context
        );
    }
}
