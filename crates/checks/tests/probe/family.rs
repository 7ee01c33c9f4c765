//! IP families: each task uses the client of its family, and name resolution keeps to it.

use std::net::SocketAddr;

use argos_checks::{IpVersion, Status};
use argos_testkit::spawn_http_at;

use crate::support::{Hits, probe, reason, run_one, site, task};

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
