//! Requests each page over HTTP, one at a time, and prints p50/p95/max per page.

use std::time::{Duration, Instant};

/// The times of one page.
pub struct Row {
    pub backend: &'static str,
    pub page: &'static str,
    pub times: Vec<Duration>,
}

impl Row {
    fn percentile(&self, p: f64) -> f64 {
        let mut v = self.times.clone();
        v.sort();
        let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
        v[i].as_secs_f64() * 1000.0
    }
}

/// What the seeded store holds: the domains `site0…` and the task ids `first..first + tasks`.
#[derive(Debug, Clone, Copy)]
pub struct Seeded {
    pub domains: usize,
    pub first_task: i64,
    pub tasks: i64,
}

type Path = Box<dyn Fn(usize) -> String>;

/// The pages measured: a name, and the path of request `i`. Domains and tasks are spread
/// over the whole range, so that no page is served from a warm corner.
fn pages(s: Seeded) -> Vec<(&'static str, Path)> {
    let domain = move |i: usize| format!("site{}.bench.invalid", (i * 7_919) % s.domains);
    let task = move |i: usize| s.first_task + (i as i64 * 7_919) % s.tasks;
    vec![
        ("/", Box::new(|_| "/".to_owned())),
        ("/domains", Box::new(|_| "/domains".to_owned())),
        (
            "/domains?s=critical",
            Box::new(|_| "/domains?s=critical".to_owned()),
        ),
        (
            "/domain/<d> (24 h chart)",
            Box::new(move |i| format!("/domain/{}", domain(i))),
        ),
        (
            "/domain/<d>?range=7d",
            Box::new(move |i| format!("/domain/{}?range=7d", domain(i + 1))),
        ),
        (
            "/task/<id>/results",
            Box::new(move |i| format!("/task/{}/results", task(i))),
        ),
    ]
}

/// `requests` measured requests per page, after 10 unmeasured ones (connections, caches).
pub async fn measure(
    backend: &'static str,
    base: &str,
    seeded: Seeded,
    requests: usize,
) -> anyhow::Result<Vec<Row>> {
    let client = reqwest::Client::new();
    let mut rows = Vec::new();
    for (page, path) in pages(seeded) {
        let mut times = Vec::new();
        for i in 0..requests + 10 {
            let url = format!("{base}{}", path(i));
            let t = Instant::now();
            let resp = client.get(&url).send().await?;
            let status = resp.status();
            let body = resp.bytes().await?;
            anyhow::ensure!(status.is_success(), "{url}: {status}");
            anyhow::ensure!(!body.is_empty(), "{url}: empty page");
            if i >= 10 {
                times.push(t.elapsed());
            }
        }
        rows.push(Row {
            backend,
            page,
            times,
        });
    }
    Ok(rows)
}

pub fn print_table(rows: &[Row]) {
    println!(
        "\n{:<11} {:<26} {:>5} {:>8} {:>8} {:>8}",
        "backend", "page", "n", "p50 ms", "p95 ms", "max ms"
    );
    for r in rows {
        let p95 = r.percentile(0.95);
        println!(
            "{:<11} {:<26} {:>5} {:>8.1} {:>8.1} {:>8.1}{}",
            r.backend,
            r.page,
            r.times.len(),
            r.percentile(0.5),
            p95,
            r.percentile(1.0),
            if p95 < 50.0 {
                ""
            } else {
                "  ← over the 50 ms target"
            }
        );
    }
}
