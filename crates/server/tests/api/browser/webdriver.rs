//! A W3C WebDriver client, spoken directly over HTTP with reqwest: the protocol is a handful
//! of JSON calls (https://www.w3.org/TR/webdriver2/), enough to drive Debian's `chromium`
//! through its `chromedriver`.
//!
//! [`Chrome::start`] runs chromedriver on a free port (it picks one with `--port=0` and says
//! which), in its own process group, and opens one session with a fresh profile. The browser
//! is chromedriver's child, so it is in that group too: dropping [`Chrome`] (a failed
//! assertion included) ends the whole group, and no browser outlives a test.

use std::process::Stdio;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The key of an element reference in WebDriver's JSON.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The flags of every session: headless, and nothing that reaches the network on its own.
const ARGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
];

/// An element found in the current page.
#[derive(Debug, Clone)]
pub struct Element(String);

/// chromedriver and one browser session.
pub struct Chrome {
    http: reqwest::Client,
    /// `http://127.0.0.1:<port>/session/<id>`.
    session: String,
    /// chromedriver's process group (its pid), with the browser in it.
    group: Option<u32>,
    _driver: Child,
    _profile: tempfile::TempDir,
}

impl Chrome {
    /// Starts `chromedriver`, then a session of `chromium` (flags [`ARGS`], a profile of its
    /// own) in a window of `width`×`height`.
    pub async fn start(chromedriver: &str, chromium: &str, width: u32, height: u32) -> Chrome {
        let (driver, port) = spawn_driver(chromedriver).await;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap();
        let profile = tempfile::tempdir().unwrap();
        let mut args: Vec<String> = ARGS.iter().map(|a| (*a).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.push(format!("--window-size={width},{height}"));
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": {"implicit": 0, "pageLoad": 30_000, "script": 60_000},
            "goog:chromeOptions": {"binary": chromium, "args": args},
        }}});
        let root = format!("http://127.0.0.1:{port}");
        let mut chrome = Chrome {
            http,
            session: String::new(),
            group: driver.id(),
            _driver: driver,
            _profile: profile,
        };
        let created = chrome
            .send(Method::POST, &format!("{root}/session"), Some(caps))
            .await;
        let id = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("a session id in {created}"));
        chrome.session = format!("{root}/session/{id}");
        chrome
    }

    /// One WebDriver command; its `value`. A WebDriver error fails the test with its message.
    async fn send(&self, method: Method, url: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method.clone(), url);
        if let Some(body) = body {
            req = req.json(&body);
        } else if method == Method::POST {
            req = req.json(&json!({}));
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = resp.status();
        let v: Value = resp
            .json()
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: not JSON: {e}"));
        let value = v["value"].clone();
        if !status.is_success() || value.get("error").is_some_and(Value::is_string) {
            panic!(
                "WebDriver {method} {url}: {status} {}: {}",
                value["error"].as_str().unwrap_or("?"),
                value["message"].as_str().unwrap_or("")
            );
        }
        value
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        self.send(method, &format!("{}{path}", self.session), body)
            .await
    }

    /// Loads `url` and waits for the page (and its redirects) to load.
    pub async fn goto(&self, url: &str) {
        self.call(Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    /// The current URL.
    pub async fn url(&self) -> String {
        self.call(Method::GET, "/url", None)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The current page's title.
    pub async fn title(&self) -> String {
        self.call(Method::GET, "/title", None)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Every element matching the CSS selector `css`, in document order.
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        let found = self
            .call(
                Method::POST,
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        found
            .as_array()
            .unwrap()
            .iter()
            .map(|e| Element(e[ELEMENT].as_str().unwrap().to_owned()))
            .collect()
    }

    /// The first element matching `css`; fails the test if there is none.
    pub async fn find(&self, css: &str) -> Element {
        let found = self
            .call(
                Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        Element(found[ELEMENT].as_str().unwrap().to_owned())
    }

    /// Types `text` into `el`.
    pub async fn type_into(&self, el: &Element, text: &str) {
        let path = format!("/element/{}/value", el.0);
        self.call(Method::POST, &path, Some(json!({ "text": text })))
            .await;
    }

    /// Clicks `el` (following the navigation it starts, if any).
    pub async fn click(&self, el: &Element) {
        self.call(Method::POST, &format!("/element/{}/click", el.0), None)
            .await;
    }

    /// `el`'s rendered text.
    pub async fn text(&self, el: &Element) -> String {
        let path = format!("/element/{}/text", el.0);
        self.call(Method::GET, &path, None)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page, returns what it
    /// returns. WebDriver runs it through the DevTools protocol: the page's
    /// Content-Security-Policy (no inline script) does not apply.
    pub async fn execute(&self, script: &str, args: Value) -> Value {
        let body = json!({ "script": script, "args": args });
        self.call(Method::POST, "/execute/sync", Some(body)).await
    }

    /// [`Chrome::execute`] for a script that calls its last argument with its result.
    pub async fn execute_async(&self, script: &str, args: Value) -> Value {
        let body = json!({ "script": script, "args": args });
        self.call(Method::POST, "/execute/async", Some(body)).await
    }

    /// A screenshot of the viewport, as PNG bytes.
    pub async fn screenshot(&self) -> Vec<u8> {
        let b64 = self.call(Method::GET, "/screenshot", None).await;
        base64_decode(b64.as_str().unwrap())
    }

    /// A screenshot of the whole page at `width` CSS pixels: the window grows to the
    /// document's height for the shot, then gets its size back.
    pub async fn full_page_screenshot(&self, width: u32) -> Vec<u8> {
        let before = self.call(Method::GET, "/window/rect", None).await;
        let (w0, h0) = (
            before["width"].as_u64().unwrap(),
            before["height"].as_u64().unwrap(),
        );
        self.set_window_size(width, h0 as u32).await;
        // The window is taller than the viewport by the (invisible) browser chrome.
        let sizes = self
            .execute(
                "return [document.documentElement.scrollHeight, innerHeight]",
                json!([]),
            )
            .await;
        let (doc, inner) = (sizes[0].as_u64().unwrap(), sizes[1].as_u64().unwrap());
        let height = doc + (h0.saturating_sub(inner));
        self.set_window_size(width, height as u32).await;
        let png = self.screenshot().await;
        self.set_window_size(w0 as u32, h0 as u32).await;
        png
    }

    /// Resizes the window (its outer size).
    pub async fn set_window_size(&self, width: u32, height: u32) {
        let rect = json!({ "width": width, "height": height });
        self.call(Method::POST, "/window/rect", Some(rect)).await;
    }

    /// A Chrome DevTools Protocol command, through chromedriver's extension endpoint.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        let body = json!({ "cmd": cmd, "params": params });
        self.call(Method::POST, "/goog/cdp/execute", Some(body))
            .await
    }

    /// Makes the pages see `prefers-color-scheme: <scheme>` ("light" or "dark").
    pub async fn color_scheme(&self, scheme: &str) {
        let features = json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]});
        self.cdp("Emulation.setEmulatedMedia", features).await;
    }

    /// Waits up to 10 s for the current URL to satisfy `want`; returns it.
    pub async fn wait_for_url(&self, what: &str, want: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let url = self.url().await;
            if want(&url) {
                return url;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "still at {url}, waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Ends the session (the browser quits), then chromedriver.
    pub async fn quit(self) {
        self.call(Method::DELETE, "", None).await;
    }
}

impl Drop for Chrome {
    /// Ends chromedriver's process group: the browser and its helpers with it. (Tokio's
    /// `kill_on_drop` then kills chromedriver itself, if it is still there.)
    fn drop(&mut self) {
        if let Some(pid) = self.group {
            let _ = std::process::Command::new("sh")
                .args(["-c", &format!("kill -TERM -{pid} 2>/dev/null")])
                .status();
        }
    }
}

/// Runs chromedriver on a port it picks; the process and the port. Tries again when it
/// exits without saying which port: with `--port=0` it binds 127.0.0.1 on a free port, then
/// `[::1]` on the same one, which another program may hold.
async fn spawn_driver(chromedriver: &str) -> (Child, u16) {
    for _ in 0..5 {
        let mut driver = Command::new(chromedriver)
            .arg("--port=0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("running {chromedriver}: {e}"));
        let mut lines = BufReader::new(driver.stdout.take().unwrap()).lines();
        let port = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(line)) = lines.next_line().await {
                // "ChromeDriver was started successfully on port 40029."
                if let Some(rest) = line.split("successfully on port ").nth(1) {
                    return rest.trim_end_matches('.').parse::<u16>().ok();
                }
            }
            None
        })
        .await
        .expect("chromedriver started in time");
        if let Some(port) = port {
            // chromedriver says little more, but a full pipe would block it: keep reading.
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return (driver, port);
        }
        eprintln!("chromedriver did not start: trying again");
        let _ = driver.kill().await;
    }
    panic!("chromedriver did not start (see its messages above)");
}

/// Standard base64 (with padding, no line breaks), as WebDriver sends screenshots.
fn base64_decode(s: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {:?}", c as char),
        }
    };
    let bytes: Vec<u8> = s.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for chunk in bytes.chunks(4) {
        let data: Vec<u8> = chunk.iter().copied().filter(|&c| c != b'=').collect();
        let n = data
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &c)| n | (value(c) << (18 - 6 * i)));
        let [_, a, b, c] = n.to_be_bytes();
        out.extend_from_slice(&[a, b, c][..data.len().saturating_sub(1)]);
    }
    out
}

#[test]
fn base64_decodes_what_browsers_send() {
    assert_eq!(base64_decode("iVBORw0KGgo="), b"\x89PNG\r\n\x1a\n");
    assert_eq!(base64_decode("YQ=="), b"a");
    assert_eq!(base64_decode("YWI="), b"ab");
    assert_eq!(base64_decode("YWJj"), b"abc");
    assert_eq!(base64_decode(""), b"");
}
