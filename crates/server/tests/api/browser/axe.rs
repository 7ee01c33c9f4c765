//! Accessibility checks with axe-core (vendored: `tests/assets/axe-core/`, see its README),
//! run in the page through WebDriver. The pages' Content-Security-Policy allows no inline
//! script and no script from elsewhere, but WebDriver's execute-script runs through the
//! DevTools protocol, which the policy does not govern: injecting axe needs no change to the
//! pages or their headers.

use std::fmt::Write;

use serde_json::{Value, json};

use super::webdriver::Chrome;

/// axe-core's minified build.
const AXE: &str = include_str!("../../assets/axe-core/axe.min.js");

/// Runs axe in the page and maps its violations to what a test prints.
const RUN: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ["violations"] })
  .then((r) => done({ violations: r.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({ target: n.target.join(" "), html: n.html, summary: n.failureSummary })),
  })) }))
  .catch((e) => done({ error: String(e) }));
"#;

/// One rule broken on a page.
#[derive(Debug, Clone)]
pub struct Violation {
    /// The page, as the test names it (e.g. "dashboard (dark)").
    pub page: String,
    pub id: String,
    /// "minor", "moderate", "serious" or "critical".
    pub impact: String,
    pub help: String,
    pub help_url: String,
    /// `(CSS target, HTML, why)` of each offending element.
    pub nodes: Vec<(String, String, String)>,
}

impl Violation {
    /// Serious and critical violations fail the test; the others are printed only.
    pub fn fails(&self) -> bool {
        matches!(self.impact.as_str(), "serious" | "critical")
    }
}

/// The violations of the page loaded in `chrome`, named `page` in reports.
pub async fn check(chrome: &Chrome, page: &str) -> Vec<Violation> {
    let loaded = chrome
        .execute(&format!("{AXE}\nreturn axe.version;"), json!([]))
        .await;
    assert!(loaded.is_string(), "axe-core did not load: {loaded}");
    let out = chrome.execute_async(RUN, json!([])).await;
    if let Some(e) = out.get("error") {
        panic!("axe.run failed on {page}: {e}");
    }
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    out["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| Violation {
            page: page.to_owned(),
            id: text(&v["id"]),
            impact: text(&v["impact"]),
            help: text(&v["help"]),
            help_url: text(&v["helpUrl"]),
            nodes: v["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| (text(&n["target"]), text(&n["html"]), text(&n["summary"])))
                .collect(),
        })
        .collect()
}

/// The version of the vendored axe-core (from its banner, `/*! axe v4.14.1`).
pub fn version() -> &'static str {
    AXE.split_whitespace().nth(2).unwrap_or("?")
}

/// A readable report of `violations`, one block per rule and page.
pub fn report(violations: &[Violation]) -> String {
    let mut s = String::new();
    for v in violations {
        let _ = writeln!(
            s,
            "[{}] {} on {}: {} ({})",
            v.impact, v.id, v.page, v.help, v.help_url
        );
        for (target, html, why) in &v.nodes {
            let html: String = html.chars().take(160).collect();
            let why = why.replace('\n', "\n      ");
            let _ = writeln!(s, "  - {target}\n      {html}\n      {why}");
        }
    }
    s
}
