//! The Argos configuration of a scenario, in the format `argos server start` reads.

use std::fmt::Write;

use argos_testkit::farm::Farm;

/// The agents' token.
pub const TOKEN: &str = "bench-agent-token-0123456789abcdef";

/// `N` websites × 3 checks (`status-is`, `ssl-certificate-expiration`, `http-to-https`)
/// every minute, IPv4 only, alerts to the log, no embedded agent.
pub fn config(db_url: &str, farm: &Farm) -> String {
    let mut yaml = format!(
        r#"general:
  db:
    url: "{db_url}"
  cookie_secret: "bench-cookie-secret-0123456789abcdef0123456789"
  frequency: "1m"
  ipv4: true
  ipv6: false
  embedded_agent: false
  alerts:
    ok: [local]
    warning: [local]
    critical: [local]
    unknown: [local]
    no_agent: [local]
service:
  secrets: ["{TOKEN}"]
ssl:
  thresholds:
    - "1d": critical
    - "5d": warning
recurring_tasks:
  max_results_age: "1d"
  max_lock_seconds: 100
  time_without_agent: 5
websites:
"#
    );
    for i in 0..farm.sites() {
        let _ = write!(
            yaml,
            r#"  - domain: "{}"
    paths:
      - path: "/"
        checks:
          - status-is: 200
          - ssl-certificate-expiration: "on-check"
          - http-to-https: true
"#,
            farm.origin(i)
        );
    }
    yaml
}
