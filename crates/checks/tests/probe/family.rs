//! IP families: each task uses the client of its family, and name resolution keeps to it.
//! The clients bind no local address (each bind costs a search of the kernel's port table), so
//! it is their resolver and the check of IP literals that keep them on their family.

use std::net::SocketAddr;

use argos_checks::{IpVersion, Status};
use argos_testkit::spawn_http_at;

use crate::support::{Hits, Names, probe, reason, run_one, site, task};

#[tokio::test]
async fn ipv6_tasks_reach_an_ipv6_server() {
    let Ok(addr) = spawn_http_at("[::1]:0".parse().unwrap(), site(Hits::default())).await else {
        eprintln!("skipped: ::1 cannot be bound on this host");
        return;
    };
    let url = format!("http://{addr}/");
    let mut t = task(1, &url, "status-is", "200");
    t.ip_version = IpVersion::V6;
    let r = run_one(&probe(&[]), t.clone()).await;
    assert_eq!(r.status, Status::Success, "{:?}", r.context);

    // The IPv4 client cannot reach an IPv6 address.
    t.ip_version = IpVersion::V4;
    let r = run_one(&probe(&[]), t).await;
    assert_eq!(
        (r.status, reason(&r)),
        (Status::Failure, "connect"),
        "{:?}",
        r.context
    );
}

#[tokio::test]
async fn a_name_without_an_address_of_the_family_is_a_dns_failure() {
    // Which family "localhost" lacks depends on /etc/hosts; use the one it lacks.
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host(("localhost", 0))
        .await
        .unwrap()
        .collect();
    let missing = match (
        addrs.iter().any(SocketAddr::is_ipv4),
        addrs.iter().any(SocketAddr::is_ipv6),
    ) {
        (true, false) => IpVersion::V6,
        (false, true) => IpVersion::V4,
        _ => {
            eprintln!("skipped: localhost resolves to both families here");
            return;
        }
    };
    let record = if missing == IpVersion::V6 {
        "AAAA"
    } else {
        "A"
    };
    // Every kind of probe says the same thing: the HTTP request, the TCP connect, the lookup.
    for (check, expected) in [
        ("status-is", "200"),
        ("port-open", "true"),
        ("dns-resolves", "true"),
    ] {
        let mut t = task(1, "http://localhost:9/", check, expected);
        t.ip_version = missing;
        let r = run_one(&probe(&[]), t).await;
        assert_eq!(
            (r.status, reason(&r)),
            (Status::Failure, "dns"),
            "{check}: {:?}",
            r.context
        );
        let message = r.context["error_message"].as_str().unwrap();
        assert!(
            message.contains(&format!(
                "localhost has no IPv{} address ({record} record)",
                missing.as_str()
            )),
            "{check}: {message}"
        );
    }
}

/// The result of a `status-is: 200` task on `url` in `family`, with `probe`.
async fn status(
    probe: &argos_checks::probe::Probe,
    url: &str,
    family: IpVersion,
) -> (Status, String) {
    let mut t = task(1, url, "status-is", "200");
    t.ip_version = family;
    let r = run_one(probe, t).await;
    let why = r.context["reason"].as_str().unwrap_or_default().to_owned();
    (r.status, why)
}

#[tokio::test]
async fn a_name_with_both_families_is_reached_by_each_client_on_its_own() {
    let Ok(v6) = spawn_http_at("[::1]:0".parse().unwrap(), site(Hits::default())).await else {
        eprintln!("skipped: ::1 cannot be bound on this host");
        return;
    };
    let v4 = spawn_http_at("127.0.0.1:0".parse().unwrap(), site(Hits::default()))
        .await
        .unwrap();
    // "both.test" has an A and an AAAA record; each server listens on one family only.
    let names = Names::of(&["127.0.0.1", "::1"]);
    let probe = names.probe(std::time::Duration::from_secs(60));
    let only_v4 = format!("http://both.test:{}/", v4.port());
    let only_v6 = format!("http://both.test:{}/", v6.port());
    let success = (Status::Success, String::new());
    let refused = (Status::Failure, "connect".to_owned());
    assert_eq!(status(&probe, &only_v4, IpVersion::V4).await, success);
    assert_eq!(status(&probe, &only_v6, IpVersion::V6).await, success);
    // The other client tries its own family's address only, where nothing listens.
    assert_eq!(status(&probe, &only_v4, IpVersion::V6).await, refused);
    assert_eq!(status(&probe, &only_v6, IpVersion::V4).await, refused);
}

#[tokio::test]
async fn an_ipv4_address_is_refused_to_an_ipv6_task_with_a_reason() {
    let addr = spawn_http_at("127.0.0.1:0".parse().unwrap(), site(Hits::default()))
        .await
        .unwrap();
    let mut t = task(1, &format!("http://{addr}/"), "status-is", "200");
    t.ip_version = IpVersion::V6;
    let r = run_one(&probe(&[]), t).await;
    assert_eq!((r.status, reason(&r)), (Status::Failure, "connect"));
    let message = r.context["error_message"].as_str().unwrap();
    assert!(
        message.contains("127.0.0.1 is not an IPv6 address"),
        "{message}"
    );
}
