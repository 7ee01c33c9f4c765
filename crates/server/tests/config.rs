//! Configuration loading: the reference's example, broken configs (each problem with its exact
//! file, line and path), `!include`, file resolution, and hostile input.

use std::path::{Path, PathBuf};
use std::time::Duration;

use argos_server::config::{
    self, Config, ConfigError, Level, LoadOptions, Problem, Recipient, Severity, first_readable,
};

#[path = "config/alerting.rs"]
mod alerting;
#[path = "config/bounds.rs"]
mod bounds;
#[path = "config/secrets.rs"]
mod secrets;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config")
}

/// A valid config. Lines 1–21 are fixed so tests can name them; websites start at line 23.
const HEAD: &str = r#"general:
  db:
    url: "sqlite:///argos.db"
  cookie_secret: "0123456789abcdef"
  frequency: "5m"
  alerts:
    ok: [local]
    warning: [local]
    critical: [local]
    unknown: [local]
    no_agent: [local]
service:
  secrets: [token-1]
ssl:
  thresholds:
    - "1d": critical
    - "5d": warning
recurring_tasks:
  max_results_age: "1d"
  max_lock_seconds: 100
  time_without_agent: 5
websites:
"#;

/// One website, lines 23–27.
const WEBSITE: &str = r#"  - domain: "https://example.org"
    paths:
      - path: "/"
        checks:
          - status-is: 200
"#;

/// HEAD with each `(from, to)` replaced (keep `to` on `from`'s line, or add lines after it),
/// then `websites`.
fn config(replace: &[(&str, &str)], websites: &str) -> String {
    let mut head = HEAD.to_owned();
    for (from, to) in replace {
        assert!(head.contains(from), "{from:?} not in HEAD");
        head = head.replacen(from, to, 1);
    }
    head + websites
}

fn load(text: &str) -> Result<Config, ConfigError> {
    config::load_str(text, Path::new("config.yaml"), &LoadOptions::default())
}

fn problems(text: &str) -> Vec<Problem> {
    match load(text) {
        Ok(c) => panic!("expected problems, the config loaded: {}", c.summary()),
        Err(ConfigError::Invalid(p)) => p,
        Err(e) => panic!("unexpected error {e}"),
    }
}

/// Asserts that exactly one error was reported, at `line` and `path`, containing `message`.
#[track_caller]
fn assert_one_error(text: &str, line: usize, path: &str, message: &str) {
    let all = problems(text);
    let errors: Vec<&Problem> = all.iter().filter(|p| p.level == Level::Error).collect();
    assert_eq!(errors.len(), 1, "{all:#?}");
    let e = errors[0];
    assert_eq!(
        (e.file.as_path(), e.line, e.path.as_str()),
        (Path::new("config.yaml"), line, path),
        "{e}"
    );
    assert!(
        e.message.contains(message),
        "{:?} does not contain {message:?}",
        e.message
    );
}

#[test]
fn the_base_config_loads() {
    let c = load(&config(&[], WEBSITE)).unwrap();
    assert_eq!(c.summary(), "1 websites, 1 paths");
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let w = &c.websites[0];
    assert_eq!(w.domain.as_str(), "https://example.org/");
    assert_eq!(
        (w.line, w.frequency, w.ipv4, w.ipv6),
        (23, Duration::from_secs(300), true, true)
    );
    assert_eq!(w.paths[0].url.as_str(), "https://example.org/");
    assert_eq!(c.general.db.url, "sqlite:///argos.db");
    assert_eq!(
        (c.general.db.pool_size, c.general.db.max_overflow),
        (10, 20)
    );
    assert_eq!(c.general.session_duration, Duration::from_secs(7 * 86_400));
    assert!(c.general.embedded_agent);
    let days: Vec<f64> = c.ssl.thresholds.iter().map(|t| t.days).collect();
    assert_eq!(days, [1.0, 5.0]);
    assert_eq!(
        c.recurring_tasks.time_without_agent,
        Duration::from_secs(300)
    );
}

#[test]
fn the_reference_example_loads_with_its_warnings() {
    let path = fixtures().join("argos-panoptes-example.yaml");
    let c = config::load(&path, &LoadOptions::default()).unwrap();
    assert_eq!(c.websites.len(), 2);
    assert_eq!(c.summary(), "2 websites, 5 paths");
    let shown: Vec<String> = c
        .warnings
        .iter()
        .map(|w| format!("{}:{}", w.line, w.path))
        .collect();
    assert_eq!(
        shown,
        [
            "22:general.cookie_secret",
            "143:service.secrets",
            "232:websites[0].paths[1].methode"
        ]
    );
    let methode = &c.warnings[2];
    assert_eq!(methode.file, path);
    assert_eq!(methode.message, r#"unknown key (did you mean "method"?)"#);
    assert!(
        c.warnings[1]
            .message
            .contains("only agents with their own token")
    );
    assert!(c.service.secrets.is_empty());
    // The typo'd path is requested with GET, as in the reference.
    assert_eq!(c.websites[0].paths[1].method, config::Method::Get);
    let munin = &c.websites[1];
    assert_eq!(
        munin.overwrite_alerts_recipients,
        Some(vec![Recipient::Apprise("john".into())])
    );
    assert_eq!(
        (munin.ipv4, munin.ipv6, munin.frequency),
        (false, true, Duration::from_secs(1200))
    );
    assert_eq!(c.websites[0].paths[0].checks.len(), 9);
}

#[test]
fn strict_mode_makes_unknown_keys_errors() {
    let path = fixtures().join("argos-panoptes-example.yaml");
    let Err(ConfigError::Invalid(all)) = config::load(&path, &LoadOptions { strict: true }) else {
        panic!("strict mode must refuse the `methode` typo");
    };
    let errors: Vec<String> = all
        .iter()
        .filter(|p| p.level == Level::Error)
        .map(|p| p.path.clone())
        .collect();
    assert_eq!(errors, ["websites[0].paths[1].methode"]);
}

#[test]
fn broken_configs_report_file_line_and_path() {
    let check = |c: &str| {
        let website = format!(
            "  - domain: \"https://example.org\"\n    paths:\n      - path: \"/\"\n        checks:\n{c}"
        );
        config(&[], &website)
    };
    let cases: Vec<(String, usize, &str, &str)> = vec![
        (
            check("          - status-iz: 200\n"),
            27,
            "websites[0].paths[0].checks[0]",
            r#"unknown check "status-iz" (valid checks: status-is,"#,
        ),
        (
            config(&[(r#""5m""#, r#""5min""#)], WEBSITE),
            5,
            "general.frequency",
            r#"unknown unit "min""#,
        ),
        (
            config(&[(r#""5m""#, "5")], WEBSITE),
            5,
            "general.frequency",
            r#"write "5m""#,
        ),
        (
            config(&[(r#""5m""#, r#""-5m""#)], WEBSITE),
            5,
            "general.frequency",
            "negative",
        ),
        (
            config(&[(r#""5m""#, r#""10""#)], WEBSITE),
            5,
            "general.frequency",
            "has no unit",
        ),
        (
            config(
                &[],
                &WEBSITE.replace("    paths:", "    frequency: \"0m\"\n    paths:"),
            ),
            24,
            "websites[0].frequency",
            "must be greater than zero",
        ),
        (
            config(
                &[],
                &WEBSITE.replace("https://example.org", "ftp://example.org"),
            ),
            23,
            "websites[0].domain",
            "must be an http://, https:// or tcp:// URL",
        ),
        (
            config(&[], &WEBSITE.replace("https://example.org", "not a url")),
            23,
            "websites[0].domain",
            "is not a valid URL",
        ),
        (
            config(&[(r#""5d": warning"#, r#""5d": warn"#)], WEBSITE),
            17,
            "ssl.thresholds[1]",
            r#"unknown severity "warn""#,
        ),
        (
            config(&[(r#""1d": critical"#, r#""1d": error"#)], WEBSITE),
            16,
            "ssl.thresholds[0]",
            "use critical",
        ),
        (
            config(&[(r#""1d": critical"#, r#""36": critical"#)], WEBSITE),
            16,
            "ssl.thresholds[0]",
            "has no unit",
        ),
        (
            config(
                &[(
                    "no_agent: [local]",
                    "no_agent: [\"apprise:ops\"]\n  apprise: {team: [\"mailto://a@b.c\"]}",
                )],
                WEBSITE,
            ),
            11,
            "general.alerts.no_agent[0]",
            r#"apprise group "ops" is not defined in general.apprise (defined groups: team)"#,
        ),
        (
            config(
                &[("critical: [local]", "critical: [\"apprise:ops\"]")],
                WEBSITE,
            ),
            9,
            "general.alerts.critical[0]",
            "needs a general.apprise section",
        ),
        (
            config(&[("warning: [local]", "warning: [local, mail]")], WEBSITE),
            8,
            "general.alerts.warning[1]",
            "`mail` needs a general.mail section",
        ),
        (
            check("          - status-is: 200\n            body-contains: \"x\"\n"),
            27,
            "websites[0].paths[0].checks[0]",
            "this item has 2 keys (status-is, body-contains)",
        ),
        (
            check("          - body-like: \"foo(\"\n"),
            27,
            "websites[0].paths[0].checks[0]",
            "body-like: invalid regex",
        ),
        (
            config(&[("sqlite:///argos.db", "mysql://u:p@h/db")], WEBSITE),
            3,
            "general.db.url",
            "unsupported database URL \"mysql://u:[hidden]@h/db\" (accepted forms: postgresql://",
        ),
        (
            check("          - status-is: 200\n").replace(
                "      - path: \"/\"",
                "      - path: \"/\"\n        method: post",
            ),
            26,
            "websites[0].paths[0].method",
            r#"methods are upper case: write "POST""#,
        ),
        (
            config(
                &[],
                &WEBSITE.replace(
                    "    paths:",
                    "    add_alerts_recipients: [gotify]\n    paths:",
                ),
            ),
            24,
            "websites[0].add_alerts_recipients[0]",
            "`gotify` needs a general.gotify section",
        ),
        (
            config(&[], "  - domain: \"https://example.org\"\n    paths: []\n"),
            24,
            "websites[0].paths",
            "at least one path",
        ),
        (
            config(&[], "  - domain: \"https://example.org\"\n    paths:\n"),
            24,
            "websites[0].paths",
            "has no value (this key is required)",
        ),
        (
            config(&[], "  - domain: \"https://example.org\"\n"),
            23,
            "websites[0].paths",
            "missing",
        ),
        (
            config(
                &[("max_results_age: \"1d\"", "max_results_age: 86400")],
                WEBSITE,
            ),
            19,
            "recurring_tasks.max_results_age",
            "a duration needs a unit",
        ),
        (
            config(
                &[(
                    "frequency: \"5m\"",
                    "frequency: \"5m\"\n  frequency: \"6m\"",
                )],
                WEBSITE,
            ),
            6,
            "general.frequency",
            "duplicate key \"frequency\" (first written at line 5)",
        ),
        (
            config(
                &[(
                    "cookie_secret: \"0123456789abcdef\"",
                    "cookie_secret: [oops",
                )],
                WEBSITE,
            ),
            5,
            "",
            "YAML syntax error",
        ),
    ];
    for (i, (text, line, path, message)) in cases.iter().enumerate() {
        eprintln!("case {i}: {path}");
        assert_one_error(text, *line, path, message);
    }
}

#[test]
fn a_missing_section_is_reported_once() {
    let text = config(&[("service:\n  secrets: [token-1]\n", "")], WEBSITE);
    assert_one_error(&text, 1, "service", "missing section `service`");
    let all = problems("general:\n  frequency: \"5m\"\n");
    let paths: Vec<&str> = all.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "general.db",
            "general.cookie_secret",
            "general.alerts",
            "service",
            "ssl",
            "recurring_tasks",
            "websites"
        ]
    );
}

#[test]
fn every_problem_is_reported_in_one_run() {
    let text = config(
        &[
            ("sqlite:///argos.db", "mysql://x"),
            (r#""5m""#, "5"),
            ("warning: [local]", "warning: [mail]"),
            (r#""1d": critical"#, r#""1d": error"#),
        ],
        &(WEBSITE.replace("status-is", "status-iz")
            + "  - domain: \"https://b.example.org\"\n    paths: []\n"),
    );
    let err = load(&text).unwrap_err();
    let ConfigError::Invalid(all) = &err else {
        panic!("{err}")
    };
    let found: Vec<(usize, &str)> = all.iter().map(|p| (p.line, p.path.as_str())).collect();
    assert_eq!(
        found,
        [
            (3, "general.db.url"),
            (5, "general.frequency"),
            (8, "general.alerts.warning[0]"),
            (16, "ssl.thresholds[0]"),
            (27, "websites[0].paths[0].checks[0]"),
            (29, "websites[1].paths"),
        ]
    );
    let shown = err.to_string();
    assert!(
        shown.starts_with("config.yaml:3: general.db.url: unsupported database URL"),
        "{shown}"
    );
    assert!(shown.ends_with("\n6 error(s)"), "{shown}");
}

#[test]
fn good_values_are_normalised() {
    let text = config(
        &[
            (
                "  frequency: \"5m\"",
                "  frequency: \"1 minute and 30 seconds\"\n  recheck_delay: \"30s\"\n  root_path: \"/argos/\"",
            ),
            (
                "no_agent: [local]",
                "no_agent: [local]\n  mail: {mailfrom: a@example.org, addresses: [b@example.org]}",
            ),
        ],
        "  - domain: \"https://example.org/app/\"\n    ipv6: no\n    overwrite_alerts_recipients: []\n    add_alerts_recipients: [local, mail]\n    paths:\n      - path: \"status\"\n        method: POST\n        request_data: {data: {a: 1}, is_json: true, headers: {X-A: b}}\n        checks:\n          - json-has: {/ok: true}\n      - path: \"http://other.example.org/x\"\n        checks: [{status-is: 200}]\n",
    );
    let c = load(&text).unwrap();
    assert_eq!(c.general.frequency, Duration::from_secs(90));
    assert_eq!(c.general.root_path, "/argos");
    let w = &c.websites[0];
    assert_eq!(
        (w.ipv4, w.ipv6, w.recheck_delay),
        (true, false, Some(Duration::from_secs(30)))
    );
    assert_eq!(w.overwrite_alerts_recipients, Some(vec![]));
    assert_eq!(w.add_alerts_recipients, [Recipient::Local, Recipient::Mail]);
    assert_eq!(w.paths[0].url.as_str(), "https://example.org/app/status");
    assert_eq!(w.paths[1].url.as_str(), "http://other.example.org/x");
    let data = w.paths[0].request_data.as_ref().unwrap();
    assert_eq!(
        data.to_text(),
        r#"{"data":{"a":1},"json":true,"headers":{"X-A":"b"}}"#
    );
    assert_eq!(c.ssl.thresholds[0].severity, Severity::Critical);
}

#[test]
fn recurring_task_floors_are_warnings() {
    let text = config(
        &[
            ("max_lock_seconds: 100", "max_lock_seconds: 60"),
            ("time_without_agent: 5", "time_without_agent: 0"),
        ],
        WEBSITE,
    );
    let c = load(&text).unwrap();
    assert_eq!(c.recurring_tasks.max_lock_seconds, 100);
    assert_eq!(
        c.recurring_tasks.time_without_agent,
        Duration::from_secs(300)
    );
    let lines: Vec<usize> = c.warnings.iter().map(|w| w.line).collect();
    assert_eq!(lines, [20, 21]);
}

#[test]
fn websites_with_no_ip_version_are_kept_with_a_warning() {
    let c = load(&config(
        &[],
        &WEBSITE.replace("    paths:", "    ipv4: false\n    ipv6: false\n    paths:"),
    ))
    .unwrap();
    assert!(!c.websites[0].is_checked());
    assert_eq!(
        (c.warnings[0].line, c.warnings[0].path.as_str()),
        (23, "websites[0]")
    );
}

fn load_in_include_dir(websites: &str) -> Result<Config, ConfigError> {
    let text = config(&[("websites:\n", websites)], "");
    config::load_str(
        &text,
        &fixtures().join("include/config.yaml"),
        &LoadOptions::default(),
    )
}

#[test]
fn include_a_single_file() {
    let c = load_in_include_dir("websites: !include websites.yaml\n").unwrap();
    assert_eq!(c.summary(), "2 websites, 2 paths");
    assert_eq!(
        &*c.websites[1].file,
        fixtures().join("include/websites.yaml")
    );
    assert_eq!(c.websites[1].line, 7);
    let c = load_in_include_dir("websites: !include {urlpath: \"websites.yaml\"}\n").unwrap();
    assert_eq!(c.websites.len(), 2);
    // An unknown key is located in the file that holds the key, not in the included one.
    let text = "websites: []\nwebsits: !include websites.yaml\n";
    let c = load_in_include_dir(text).unwrap();
    let w = &c.warnings[0];
    assert_eq!(
        (w.file.as_path(), w.line),
        (fixtures().join("include/config.yaml").as_path(), 23)
    );
    assert_eq!(w.message, r#"unknown key (did you mean "websites"?)"#);
    assert!(c.websites.is_empty());
}

#[test]
fn include_a_glob_of_one_website_per_file() {
    let c = load_in_include_dir("websites: !include domains.d/*.yaml\n").unwrap();
    let domains: Vec<&str> = c.websites.iter().map(|w| w.domain.as_str()).collect();
    assert_eq!(
        domains,
        ["https://a.example.org/", "https://b.example.org/"]
    );
    assert_eq!(c.websites[1].frequency, Duration::from_secs(3600));
    assert_eq!(c.websites[1].paths[1].line, 7);
    let c = load_in_include_dir("websites: !include empty.d/*.yaml\n").unwrap();
    assert!(c.websites.is_empty());
    assert_eq!(
        (c.warnings[0].line, c.warnings[0].path.as_str()),
        (22, "websites")
    );
    assert!(c.warnings[0].message.contains("matches no file"));
}

#[test]
fn an_error_in_an_included_file_names_that_file_and_line() {
    let Err(ConfigError::Invalid(all)) = load_in_include_dir("websites: !include bad.d/*.yaml\n")
    else {
        panic!("the typo must be reported");
    };
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(all[0].file, fixtures().join("include/bad.d/bad.yaml"));
    assert_eq!(
        (all[0].line, all[0].path.as_str()),
        (6, "websites[0].paths[0].checks[0]")
    );
    assert!(all[0].message.starts_with(r#"unknown check "status-iz""#));
}

#[test]
fn include_cycles_and_missing_files_are_problems() {
    let Err(ConfigError::Invalid(all)) = load_in_include_dir("websites: !include cycle-a.yaml\n")
    else {
        panic!("a cycle must be reported");
    };
    let cycle = all
        .iter()
        .find(|p| p.message.contains("include cycle"))
        .expect("a cycle problem");
    assert_eq!(cycle.file, fixtures().join("include/cycle-b.yaml"));
    assert_eq!(
        (cycle.line, cycle.path.as_str()),
        (2, "websites[0].paths[0].checks")
    );
    let a = fixtures()
        .join("include/cycle-a.yaml")
        .display()
        .to_string();
    let b = fixtures()
        .join("include/cycle-b.yaml")
        .display()
        .to_string();
    assert_eq!(cycle.message, format!("include cycle: {a} → {b} → {a}"));
    let Err(ConfigError::Invalid(all)) = load_in_include_dir("websites: !include nope.yaml\n")
    else {
        panic!()
    };
    assert_eq!((all[0].line, all[0].path.as_str()), (22, "websites"));
    assert!(
        all[0].message.contains("cannot read included file"),
        "{}",
        all[0].message
    );
}

#[test]
fn resolve_path_takes_the_first_readable_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("argos.yaml");
    std::fs::write(&file, "x").unwrap();
    let missing = dir.path().join("missing.yaml");
    let candidates = [missing.clone(), dir.path().to_path_buf(), file.clone()];
    assert_eq!(first_readable(&candidates).unwrap(), file);
    let err = first_readable(&candidates[..2]).unwrap_err();
    assert!(err.contains("missing.yaml (No such file"), "{err}");
    assert!(err.contains("(not a regular file)"), "{err}");
    // An explicit --config value comes first, whatever the environment says.
    assert_eq!(config::resolve_path(Some(&file)).unwrap(), file);
    let order = config::candidates(Some(&missing), Some(file.clone().into_os_string()));
    assert_eq!(order[..2], [missing, file]);
}

#[test]
fn hostile_input_never_panics() {
    // Random bytes, as text and as a file.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet = b"ab:-[]{}&*!|>'\"#\n \t,?%@`0123456789.~<\\";
    for _ in 0..300 {
        let len = (next() % 200) as usize;
        let text: String = (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize] as char)
            .collect();
        let _ = load(&text);
        let _ = load(&format!("{HEAD}{text}"));
    }
    let deep_flow = "[".repeat(100_000);
    let deep_block: String = (0..2_000)
        .map(|i| format!("{}a:\n", " ".repeat(i)))
        .collect();
    let laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
                  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
                  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n\
                  g: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
    for text in [
        deep_flow.as_str(),
        &deep_block,
        laughs,
        "a: 99999999999999999999999999",
        "a: !include /dev/zero",
    ] {
        assert!(matches!(load(text), Err(ConfigError::Invalid(_))));
    }
    let huge = config(
        &[(r#""5m""#, r#""99999999999999999999999999999999y""#)],
        WEBSITE,
    );
    assert_one_error(&huge, 5, "general.frequency", "too large");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("latin1.yaml");
    std::fs::write(&file, b"general:\n  cookie_secret: \"caf\xe9\"\n").unwrap();
    let Err(ConfigError::Invalid(all)) = config::load(&file, &LoadOptions::default()) else {
        panic!()
    };
    assert_eq!(
        (all[0].line, all[0].message.as_str()),
        (2, "the file is not valid UTF-8 text")
    );
    let err = config::load(&dir.path().join("nope.yaml"), &LoadOptions::default()).unwrap_err();
    assert!(matches!(err, ConfigError::Io { .. }), "{err}");
}

#[test]
fn anchors_aliases_and_merge_keys_are_expanded() {
    let websites = r#"  - &site
    domain: "https://a.example.org"
    frequency: "2m"
    paths: &paths
      - path: "/"
        checks: [{status-is: 200}]
  - <<: *site
    domain: "https://b.example.org"
  - domain: "https://c.example.org"
    paths: *paths
"#;
    let c = load(&config(&[], websites)).unwrap();
    let got: Vec<(&str, u64, usize)> = c
        .websites
        .iter()
        .map(|w| (w.domain.as_str(), w.frequency.as_secs(), w.paths.len()))
        .collect();
    assert_eq!(
        got,
        [
            ("https://a.example.org/", 120, 1),
            ("https://b.example.org/", 120, 1),
            ("https://c.example.org/", 300, 1),
        ]
    );
}

#[test]
fn a_glob_of_list_files_explains_the_expected_shape() {
    let all = match load_in_include_dir("websites: [!include websites.yaml]\n") {
        Err(ConfigError::Invalid(all)) => all,
        other => panic!("{other:?}"),
    };
    assert_eq!(all[0].file, fixtures().join("include/websites.yaml"));
    assert_eq!((all[0].line, all[0].path.as_str()), (2, "websites[0]"));
    assert!(
        all[0].message.contains("each file holds one website"),
        "{}",
        all[0].message
    );
}

/// Every check of the catalogue and every per-path option, on an https and a tcp:// website.
const EVERY_CHECK: &str = r#"  - domain: "https://example.org"
    paths:
      - path: "/"
        timeout: "5s"
        follow_redirects: true
        max_body_bytes: "512kB"
        checks:
          - status-is: 200
          - status-in: [200, 204]
          - http-to-https: true
          - headers-contain: [content-type]
          - headers-have: {content-type: "text/html"}
          - headers-like: {server: "^nginx"}
          - body-contains: "Welcome"
          - body-like: "Welcome.*"
          - body-not-contains: "Fatal error"
          - json-contains: ["/status"]
          - json-has: {/status: "ok"}
          - json-like: {/version: "^2\\."}
          - json-is: {"status": "ok"}
          - ssl-certificate-expiration: "on-check"
          - response-time: {warning: "500ms", critical: "2s"}
          - dns-resolves: ["192.0.2.1", "2001:db8::1"]
          - port-open: true
      - path: "/old"
        follow_redirects: 3
        follow_redirects_to_private: true
        follow_redirects_with_data: true
        checks:
          - redirects-to: "/new"
  - domain: "tcp://mail.example.org:25"
    paths:
      - timeout: "3s"
        checks:
          - port-open: true
          - dns-resolves: true
"#;

#[test]
fn every_check_and_option_loads() {
    let c = load(&config(&[], EVERY_CHECK)).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let home = &c.websites[0].paths[0];
    assert_eq!(home.checks.len(), 17);
    let o = home.options;
    assert_eq!(
        (o.timeout_ms, o.follow_redirects, o.max_body_bytes),
        (Some(5_000), Some(10), Some(512_000))
    );
    let old = c.websites[0].paths[1].options;
    assert_eq!(old.follow_redirects, Some(3));
    assert!(old.follow_redirects_to_private && old.follow_redirects_with_data);
    assert!(!o.follow_redirects_to_private && !o.follow_redirects_with_data);
    let tcp = &c.websites[1];
    assert_eq!(tcp.domain.as_str(), "tcp://mail.example.org:25");
    assert_eq!(tcp.paths[0].url.as_str(), "tcp://mail.example.org:25/");
    assert_eq!(tcp.paths[0].options.timeout_ms, Some(3_000));
    let names: Vec<&str> = c
        .websites
        .iter()
        .flat_map(|w| &w.paths)
        .flat_map(|p| &p.checks)
        .map(|c| c.name())
        .collect();
    for name in config::Check::NAMES {
        assert!(names.contains(name), "{name} is not in the example");
    }
}

#[test]
fn new_checks_and_options_report_file_line_and_path() {
    let site = |extra: &str, checks: &str| {
        config(
            &[],
            &format!(
                "  - domain: \"https://example.org\"\n    paths:\n      - path: \"/\"\n{extra}        checks:\n{checks}"
            ),
        )
    };
    let status = "          - status-is: 200\n";
    let tcp = |path_lines: &str, checks: &str| {
        config(
            &[],
            &format!(
                "  - domain: \"tcp://db.example.org:5432\"\n    paths:\n      - {path_lines}\n        checks:\n{checks}"
            ),
        )
    };
    let cases: Vec<(String, usize, &str, &str)> = vec![
        (
            site(
                "",
                "          - response-time: {warning: \"2s\", critical: \"1s\"}\n",
            ),
            27,
            "websites[0].paths[0].checks[0]",
            "the warning threshold (2000 ms) must be below the critical one (1000 ms)",
        ),
        (
            site("", "          - response-time: {warning: 500}\n"),
            27,
            "websites[0].paths[0].checks[0]",
            "must be a duration with a unit",
        ),
        (
            site("", "          - dns-resolves: [\"example.org\"]\n"),
            27,
            "websites[0].paths[0].checks[0]",
            "dns-resolves expects true, an IP address or a list of IP addresses",
        ),
        (
            site("", "          - redirects-to: \"elsewhere\"\n"),
            27,
            "websites[0].paths[0].checks[0]",
            "redirects-to expects an http(s) URL or a path starting with /",
        ),
        (
            // Starts with a slash, yet joins to no URL: nothing could be compared.
            site("", "          - redirects-to: \"//bad host/\"\n"),
            27,
            "websites[0].paths[0].checks[0]",
            "redirects-to expects an http(s) URL or a path starting with /",
        ),
        (
            site("", "          - redirects-to: \"//\"\n"),
            27,
            "websites[0].paths[0].checks[0]",
            "redirects-to expects an http(s) URL or a path starting with /",
        ),
        (
            site("        timeout: \"2m\"\n", status),
            26,
            "websites[0].paths[0].timeout",
            "below recurring_tasks.max_lock_seconds (100s)",
        ),
        (
            site("        timeout: 5\n", status),
            26,
            "websites[0].paths[0].timeout",
            "a duration needs a unit",
        ),
        (
            site("        follow_redirects: 50\n", status),
            26,
            "websites[0].paths[0].follow_redirects",
            "a number of redirects up to 20",
        ),
        (
            site("        max_body_bytes: \"1GB\"\n", status),
            26,
            "websites[0].paths[0].max_body_bytes",
            "unknown size unit \"GB\"",
        ),
        (
            site("        max_body_bytes: \"1TiB\"\n", status),
            26,
            "websites[0].paths[0].max_body_bytes",
            "unknown size unit",
        ),
        (
            site("        max_body_bytes: 0\n", status),
            26,
            "websites[0].paths[0].max_body_bytes",
            "between 1 byte and 64MiB",
        ),
        (
            site("        follow_redirects_to_private: \"yes\"\n", status),
            26,
            "websites[0].paths[0].follow_redirects_to_private",
            "expected true or false",
        ),
        (
            site("        follow_redirects_with_data: 1\n", status),
            26,
            "websites[0].paths[0].follow_redirects_with_data",
            "expected true or false",
        ),
        (
            tcp(
                "follow_redirects_to_private: true",
                "          - port-open: true\n",
            ),
            25,
            "websites[0].paths[0].follow_redirects_to_private",
            "is for http(s) websites",
        ),
        (
            tcp("timeout: \"1s\"", status),
            27,
            "websites[0].paths[0].checks[0]",
            "status-is needs an HTTP request; a tcp:// website allows port-open and dns-resolves",
        ),
        (
            tcp("method: POST", "          - port-open: true\n"),
            25,
            "websites[0].paths[0].method",
            "`method` is for http(s) websites",
        ),
        (
            tcp("path: \"/x\"", "          - port-open: true\n"),
            25,
            "websites[0].paths[0].path",
            "a tcp:// website has no paths",
        ),
        (
            site("", status).replace("path: \"/\"", "path: \"tcp://example.org:25\""),
            25,
            "websites[0].paths[0].path",
            "which is not an http(s) URL",
        ),
        (
            config(
                &[],
                &WEBSITE.replace("https://example.org", "tcp://example.org"),
            ),
            23,
            "websites[0].domain",
            "a tcp:// domain needs a host and a port",
        ),
        (
            config(
                &[],
                &WEBSITE.replace("https://example.org", "tcp://example.org:25/smtp"),
            ),
            23,
            "websites[0].domain",
            "a tcp:// domain is only a host and a port",
        ),
    ];
    for (i, (text, line, path, message)) in cases.iter().enumerate() {
        eprintln!("case {i}: {path}");
        assert_one_error(text, *line, path, message);
    }
}

#[test]
fn a_longer_lease_allows_a_longer_timeout_up_to_five_minutes() {
    let site = |timeout: &str| {
        config(
            &[("max_lock_seconds: 100", "max_lock_seconds: 900")],
            &format!(
                "  - domain: \"https://example.org\"\n    paths:\n      - path: \"/\"\n        timeout: \"{timeout}\"\n        checks:\n          - status-is: 200\n"
            ),
        )
    };
    let c = load(&site("4m")).unwrap();
    assert_eq!(c.websites[0].paths[0].options.timeout_ms, Some(240_000));
    assert_one_error(
        &site("5m"),
        26,
        "websites[0].paths[0].timeout",
        "at most 300s",
    );
}
