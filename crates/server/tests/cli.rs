//! The `argos` binary as a user runs it: exit codes and what it prints.

use std::path::Path;
use std::process::{Command, Output};

fn argos(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_argos"))
        .args(args)
        .current_dir(cwd)
        .env_remove("ARGOS_YAML_FILE")
        .output()
        .expect("running argos")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn repo_file(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
        .display()
        .to_string()
}

#[test]
fn version_and_token() {
    let dir = tempfile::tempdir().unwrap();
    let out = argos(&["version"], dir.path());
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout).trim(),
        format!("argos {}", env!("CARGO_PKG_VERSION"))
    );
    let out = argos(&["server", "generate-token"], dir.path());
    let token = text(&out.stdout);
    assert!(out.status.success());
    assert_eq!(token.trim().len(), 36, "a UUID: {token}");
}

#[test]
fn generated_config_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let out = argos(&["server", "generate-config"], dir.path());
    assert!(out.status.success());
    std::fs::write(dir.path().join("argos-config.yaml"), &out.stdout).unwrap();
    // Found as ./argos-config.yaml, like the Python tool.
    let out = argos(&["server", "check-config", "--strict"], dir.path());
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("OK — 1 websites"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn example_configs_are_valid() {
    let dir = tempfile::tempdir().unwrap();
    for file in ["examples/argos.yaml", "examples/config-example.yaml"] {
        let out = argos(
            &[
                "server",
                "check-config",
                "--strict",
                "--config",
                &repo_file(file),
            ],
            dir.path(),
        );
        assert!(
            out.status.success(),
            "{file}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }
}

#[test]
fn check_config_prints_every_problem_with_its_line_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let good = text(&argos(&["server", "generate-config"], dir.path()).stdout);
    let bad = good
        .replace("frequency: \"1m\"", "frequency: 5")
        .replace("- status-is: 200", "- status-iz: 200");
    let path = dir.path().join("bad.yaml");
    std::fs::write(&path, &bad).unwrap();
    let out = argos(
        &["server", "check-config", "--config", path.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    let line_of = |needle: &str| bad.lines().position(|l| l.contains(needle)).unwrap() + 1;
    assert!(
        err.contains(&format!(
            "bad.yaml:{}: websites[0].frequency:",
            line_of("frequency: 5")
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "bad.yaml:{}: websites[0].paths[0].checks[0]: unknown check \"status-iz\"",
            line_of("status-iz")
        )),
        "{err}"
    );
}

#[test]
fn a_missing_config_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = argos(
        &["server", "check-config", "--config", "nope.yaml"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("nope.yaml"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn migrate_and_reload_config_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = std::fs::read_to_string(repo_file("examples/argos.yaml")).unwrap();
    let path = dir.path().join("argos-config.yaml");
    std::fs::write(&path, &cfg).unwrap();
    let out = argos(&["server", "migrate"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        dir.path().join("argos.db").exists(),
        "sqlite:///argos.db is relative to the working directory"
    );
    let out = argos(&["server", "reload-config"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        "5 task(s) added, 0 updated, 0 deleted, 0 unchanged."
    );
    let out = argos(&["server", "reload-config"], dir.path());
    assert_eq!(
        text(&out.stdout).trim(),
        "0 task(s) added, 0 updated, 0 deleted, 5 unchanged."
    );
    // Nothing has run yet: every task is unknown, which Nagios reads as exit code 3.
    let out = argos(&["server", "nagios"], dir.path());
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        text(&out.stdout).trim(),
        "UNKNOWN — 5 sites are in unknown state|ok=0; warning=0; critical=0; unknown=5;"
    );
}
