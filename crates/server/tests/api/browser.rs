//! The pages in a real browser, Debian's `chromium`:
//!
//! - here, headless Chromium loads pages from a running server, and we read the DOM it built
//!   and a screenshot it took;
//! - in [`journey`], a visitor drives it through `chromedriver` (W3C WebDriver, see
//!   [`webdriver`]): logs in, follows the critical tile to a domain and its chart, with
//!   accessibility checks ([`axe`]), a phone-sized window and screenshots.
//!
//! They run when the binaries are found (`ARGOS_CHROMIUM` and `ARGOS_CHROMEDRIVER` may name
//! them); with `CI=true` a missing one fails the test (`.ci/run` installs both).

mod axe;
mod journey;
mod webdriver;

use std::path::Path;
use std::time::Duration;

use argos_testkit::spawn_http;
use tokio::process::Command;

use crate::e2e::{many_sites, site};
use crate::helpers::{Backend, with_app};

/// The first of `$var` and `candidates` that exists; `None` (skip) outside CI.
///
/// # Panics
/// When `CI=true` and none is found.
fn find(what: &str, var: &str, candidates: &[&str]) -> Option<String> {
    if let Ok(p) = std::env::var(var) {
        return Some(p);
    }
    let found = candidates.iter().find(|p| Path::new(p).exists());
    match found {
        Some(p) => Some((*p).to_owned()),
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!(
                "CI=true but no {what} was found: the browser tests must run in CI (see .ci/run)"
            )
        }
        None => {
            eprintln!("no {what} found (set {var}): skipping this browser test");
            None
        }
    }
}

fn chromium() -> Option<String> {
    find(
        "chromium",
        "ARGOS_CHROMIUM",
        &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
    )
}

/// `(chromium, chromedriver)` (Debian's `chromium` and `chromium-driver` packages).
fn chromium_and_driver() -> Option<(String, String)> {
    let chromium = chromium()?;
    let driver = find(
        "chromedriver",
        "ARGOS_CHROMEDRIVER",
        &["/usr/bin/chromedriver"],
    )?;
    Some((chromium, driver))
}

/// Runs headless Chromium with `args` (flags that keep it off the network but for the URL).
async fn run_chromium(exe: &str, profile: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new(exe);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1200,800",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(args)
    .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("chromium finished in time")
        .expect("running chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_and_domains_pages_render_in_a_real_browser() {
    let Some(exe) = chromium() else { return };
    let port = spawn_http(site()).await.port();
    with_app(Backend::Sqlite, &many_sites(port, 3), |app| async move {
        let agent = app.spawn_agent("browser-agent", None);
        app.wait_all_checked(Duration::from_secs(30)).await;
        agent.stop().await;
        let profile = tempfile::tempdir().unwrap();

        let dom = run_chromium(
            &exe,
            profile.path(),
            &["--dump-dom", &format!("{}/", app.base)],
        )
        .await;
        assert!(dom.contains(r#"data-severity="ok">6<"#), "{dom}");
        assert!(
            dom.contains("Argos monitoring") && dom.contains("1 agent"),
            "{dom}"
        );

        let dom = run_chromium(
            &exe,
            profile.path(),
            &["--dump-dom", &format!("{}/domains?s=ok", app.base)],
        )
        .await;
        assert!(
            dom.contains(&format!("127.0.0.1:{port}")) && dom.contains("1 domain, 6 tasks"),
            "{dom}"
        );

        let shot = profile.path().join("domains.png");
        run_chromium(
            &exe,
            profile.path(),
            &[
                &format!("--screenshot={}", shot.display()),
                &format!("{}/domains", app.base),
            ],
        )
        .await;
        let png = std::fs::read(&shot).expect("a screenshot");
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 5_000,
            "a real rendering, got {} bytes",
            png.len()
        );
        app.stop().await;
    })
    .await;
}
