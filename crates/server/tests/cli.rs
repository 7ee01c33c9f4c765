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

#[test]
fn database_passwords_never_reach_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let example = std::fs::read_to_string(repo_file("examples/argos.yaml")).unwrap();
    let password = "Sup3rS3cretPw";
    for (url, said) in [
        // Nothing listens on port 1: the connection is refused.
        (
            format!("postgresql://argos:{password}@127.0.0.1:1/argos"),
            "connecting to the database",
        ),
        // Not a URL (an unclosed IPv6 bracket): a config problem naming it, redacted.
        (
            format!("postgresql://argos:{password}@[::1:5432/argos"),
            "postgresql://argos:[hidden]@[::1:5432/argos",
        ),
    ] {
        let cfg = example.replace("sqlite:///argos.db", &url);
        assert_ne!(cfg, example);
        std::fs::write(dir.path().join("argos-config.yaml"), &cfg).unwrap();
        for command in ["migrate", "check-config"] {
            let out = argos(&["server", command], dir.path());
            let shown = format!("{}{}", text(&out.stdout), text(&out.stderr));
            assert!(!shown.contains(password), "{command}: {shown}");
            if command == "migrate" {
                assert_eq!(out.status.code(), Some(1), "{shown}");
                assert!(shown.contains(said), "{shown}");
            }
        }
    }
}

/// Runs `argos server user …` with `stdin` on the config of `dir`.
fn user(dir: &Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    use std::io::Write;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_argos"));
    // `--config` after the verb, as the reference's users write it.
    cmd.args(["server", "user"])
        .args(args)
        .args(["--config", "argos-config.yaml"])
        .current_dir(dir)
        .env_remove("ARGOS_YAML_FILE")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("running argos");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

#[test]
fn user_commands_have_the_reference_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = std::fs::read_to_string(repo_file("examples/argos.yaml")).unwrap();
    std::fs::write(dir.path().join("argos-config.yaml"), cfg).unwrap();
    let d = dir.path();
    assert_eq!(user(d, &["show"], "").0, 1, "no user yet");
    let (code, out, _) = user(d, &["add", "--name", "alice", "--password", "s3cret"], "");
    assert_eq!((code, out.trim()), (0, "User alice added."));
    let (code, _, err) = user(d, &["add", "--name", "alice", "--password", "x"], "");
    assert_eq!((code, err.trim()), (1, "User alice already exists."));
    // No --password: one line of standard input (no terminal here).
    assert_eq!(user(d, &["add", "--name", "bob"], "hunter2\n").0, 0);
    let (code, out, _) = user(d, &["verify-password", "--name", "bob"], "hunter2\n");
    assert_eq!((code, out.trim()), (0, "The provided password is correct."));
    let (code, _, err) = user(
        d,
        &["verify-password", "--name", "bob", "--password", "nope"],
        "",
    );
    assert_eq!((code, err.trim()), (2, "Wrong password!"));
    assert_eq!(
        user(
            d,
            &["verify-password", "--name", "carol", "--password", "x"],
            ""
        )
        .0,
        1
    );
    assert_eq!(
        user(
            d,
            &["change-password", "--name", "bob", "--password", "new"],
            ""
        )
        .0,
        0
    );
    assert_eq!(
        user(
            d,
            &["verify-password", "--name", "bob", "--password", "new"],
            ""
        )
        .0,
        0
    );
    assert_eq!(
        user(
            d,
            &["change-password", "--name", "carol", "--password", "x"],
            ""
        )
        .0,
        1
    );
    assert_eq!(user(d, &["disable", "--name", "bob"], "").0, 0);
    assert_eq!(
        user(d, &["disable", "--name", "bob"], "").0,
        2,
        "already disabled"
    );
    assert_eq!(user(d, &["disable", "--name", "carol"], "").0, 1);
    let (code, out, _) = user(d, &["show"], "");
    assert_eq!(code, 0);
    assert!(
        out.contains("✅ alice, last login: None") && out.contains("❌ bob, last login: None"),
        "{out}"
    );
    assert_eq!(user(d, &["enable", "--name", "bob"], "").0, 0);
    assert_eq!(
        user(d, &["enable", "--name", "bob"], "").0,
        2,
        "already enabled"
    );
    assert_eq!(user(d, &["delete", "--name", "bob"], "").0, 0);
    assert_eq!(user(d, &["delete", "--name", "bob"], "").0, 1);
    assert_eq!(
        user(d, &["add", "--name", "dave", "--password", ""], "").0,
        1,
        "empty password refused"
    );
}

#[test]
fn test_alert_commands_say_what_happened() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = std::fs::read_to_string(repo_file("examples/argos.yaml")).unwrap();
    // A webhook nobody listens to (port 9, "discard", is closed on loopback).
    let cfg = cfg.replace(
        "  alerts:\n",
        "  webhooks:\n    down:\n      url: \"http://127.0.0.1:9/hook\"\n  alerts:\n",
    );
    std::fs::write(dir.path().join("argos-config.yaml"), cfg).unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["server"];
        all.extend_from_slice(args);
        let out = argos(&all, dir.path());
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    };
    let (code, out, _) = run(&["test-alert", "--channel", "local"]);
    assert_eq!((code, out.trim()), (Some(0), "Test alert sent to local."));
    let (code, _, err) = run(&["test-mail"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("mail is not configured, cannot test"), "{err}");
    let (code, _, err) = run(&["test-alert", "--channel", "webhook:nope"]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("webhook:nope is not configured") && err.contains("webhook:down"),
        "{err}"
    );
    let (code, _, err) = run(&[
        "test-alert",
        "--channel",
        "webhook:down",
        "--severity",
        "warning",
    ]);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("Sending the test alert to webhook:down failed: could not connect"),
        "{err}"
    );
    let (code, _, err) = run(&["test-apprise", "--apprise-group", "team"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("apprise:team is not configured"), "{err}");
}

#[test]
fn agent_token_commands_print_the_token_once_and_store_only_its_hash() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = std::fs::read_to_string(repo_file("examples/argos.yaml")).unwrap();
    std::fs::write(dir.path().join("argos-config.yaml"), cfg).unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["server", "agent-token"];
        all.extend_from_slice(args);
        let out = argos(&all, dir.path());
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    };
    let (code, _, err) = run(&["list"]);
    assert_eq!(
        (code, err.trim()),
        (Some(1), "There is no agent token in the database.")
    );

    let (code, out, err) = run(&["add", "--name", "paris-1"]);
    assert_eq!(code, Some(0), "{err}");
    let token = out.trim().to_owned();
    assert_eq!(token.len(), 64, "the token alone on stdout: {out}");
    assert!(err.contains("shown only this once"), "{err}");
    let (code, _, err) = run(&["add", "--name", "paris-1"]);
    assert_eq!(
        (code, err.trim()),
        (Some(1), "Agent token paris-1 already exists.")
    );
    let (code, _, err) = run(&["add", "--name", "not a name"]);
    assert_eq!(code, Some(1), "{err}");

    let (code, out, _) = run(&["list"]);
    assert_eq!(code, Some(0));
    assert!(out.starts_with("paris-1, added: 20"), "{out}");
    assert!(out.trim_end().ends_with("last seen: never"), "{out}");
    assert!(!out.contains(&token), "list never shows a token");

    // The database holds the token's SHA-256, never the token.
    let mut stored = Vec::new();
    for file in ["argos.db", "argos.db-wal"] {
        stored.extend(std::fs::read(dir.path().join(file)).unwrap_or_default());
    }
    let stored = String::from_utf8_lossy(&stored);
    assert!(!stored.contains(&token), "the token is stored in clear");
    assert!(stored.contains(&argos_server::auth::agent_token::hash(&token)));

    let (code, out, _) = run(&["revoke", "--name", "paris-1"]);
    assert_eq!(
        (code, out.trim()),
        (Some(0), "Agent token paris-1 revoked.")
    );
    let (code, _, err) = run(&["revoke", "--name", "paris-1"]);
    assert_eq!(
        (code, err.trim()),
        (Some(1), "Agent token paris-1 does not exist.")
    );
    assert_eq!(run(&["list"]).0, Some(1));
}
