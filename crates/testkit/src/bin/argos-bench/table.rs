//! The figures of every scenario as one Markdown table: a row per figure, a column per
//! scenario.

use crate::figures::Row;
use crate::sampler::{AGENTS, BENCH, DATABASE, SERVER, Totals};
use crate::stats::Spread;

const MB: f64 = 1024.0 * 1024.0;

pub fn render(rows: &[Row]) -> String {
    let mut lines: Vec<(String, Vec<String>)> = Vec::new();
    let mut add = |name: &str, f: &dyn Fn(&Row) -> String| {
        lines.push((name.to_owned(), rows.iter().map(f).collect()));
    };
    add("server start → listening (s)", &|r| {
        format!("{:.2}", r.start.as_secs_f64())
    });
    add("config reload, SIGHUP → done (s)", &|r| {
        opt(r.reload.map(|d| d.as_secs_f64()), 2)
    });
    add("ceiling: requests/s, fresh connections", &|r| {
        let failed = if r.ceiling.failed > 0 {
            format!(" ({} failed)", r.ceiling.failed)
        } else {
            String::new()
        };
        format!("{:.0}{failed}", r.ceiling.per_second())
    });
    add("cold start: checks, time (s)", &|r| {
        format!("{}, {}", r.tasks, opt(r.cold_s, 2))
    });
    add("cold start: checks/s", &|r| {
        opt(r.cold_s.map(|s| r.tasks as f64 / s), 0)
    });
    add("cold start ÷ ceiling (same requests)", &|r| {
        opt(
            r.cold_s
                .map(|s| 100.0 * r.ceiling.elapsed.as_secs_f64() / s),
            1,
        ) + " %"
    });
    add("cold: results (not ok)", &|r| {
        format!("{} ({})", r.cold.results, r.cold.not_ok)
    });
    add("cold: check latency p50 / p99 (ms)", &|r| {
        pair(r.cold.latency, 1.0, 1)
    });
    add("cold: CPU s server / agents / db", &|r| {
        cpu(&r.cold_cpu, in_server(r))
    });
    add("cold: CPU s others on the machine", &|r| {
        format!("{:.1}", r.cold_cpu.others_s())
    });
    add("steady: seconds", &|r| {
        steady(r, |s| format!("{:.0}", s.seconds))
    });
    add("steady: lateness p50 / p99 / max (s)", &|r| {
        steady(r, |s| match s.lateness.spread {
            Some(l) => format!("{:.2} / {:.2} / {:.2}", l.p50, l.p99, l.max),
            None => "—".into(),
        })
    });
    add("steady: runs missed / due", &|r| {
        steady(r, |s| format!("{} / {}", s.lateness.missed, s.lateness.due))
    });
    add("steady: check latency p50 / p99 (ms)", &|r| {
        steady(r, |s| pair(s.latency, 1.0, 1))
    });
    add("steady: results (not ok)", &|r| {
        steady(r, |s| format!("{} ({})", s.results, s.not_ok))
    });
    add("steady: CPU % of machine srv / agents / db", &|r| {
        steady(r, |s| percent(&s.cpu, in_server(r)))
    });
    add("steady: CPU % others on the machine", &|r| {
        steady(r, |s| {
            format!("{:.1}", 100.0 * s.cpu.others_s() / s.cpu.machine_total_s)
        })
    });
    add("peak RSS MB server / agent / db", &|r| {
        let db = if in_server(r) {
            "in server".to_owned()
        } else {
            format!("{:.0}", r.peaks.database_kb as f64 / 1024.0)
        };
        format!(
            "{:.0} / {:.0} / {db}",
            r.peaks.server_kb as f64 / 1024.0,
            r.peaks.agent_kb as f64 / 1024.0
        )
    });
    add("db size MB; MB per million results", &|r| {
        let per = opt(r.bytes_per_result.map(|b| b * 1e6 / MB), 0);
        format!("{:.1}; {per}", r.db_bytes as f64 / MB)
    });
    add("results stored", &|r| r.results.to_string());
    add("bench + farm CPU s (cold)", &|r| {
        format!("{:.1}", r.cold_cpu.cpu_s[BENCH])
    });
    let mut out = String::new();
    let header: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
    out += &format!("| | {} |\n", header.join(" | "));
    out += &format!("|---|{}\n", "---|".repeat(rows.len()));
    for (name, cells) in lines {
        out += &format!("| {name} | {} |\n", cells.join(" | "));
    }
    out
}

/// SQLite runs inside the server: its cost is the server's.
fn in_server(row: &Row) -> bool {
    row.label.starts_with("SQLite")
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{v:.digits$}"))
}

fn pair(s: Option<Spread>, scale: f64, digits: usize) -> String {
    s.map_or_else(
        || "—".to_owned(),
        |s| format!("{:.digits$} / {:.digits$}", s.p50 * scale, s.p99 * scale),
    )
}

fn cpu(t: &Totals, sqlite: bool) -> String {
    let db = if sqlite {
        "in server".to_owned()
    } else {
        format!("{:.1}", t.cpu_s[DATABASE])
    };
    format!("{:.1} / {:.1} / {db}", t.cpu_s[SERVER], t.cpu_s[AGENTS])
}

fn percent(t: &Totals, sqlite: bool) -> String {
    let p = |s: f64| 100.0 * s / t.machine_total_s;
    let db = if sqlite {
        "—".to_owned()
    } else {
        format!("{:.1}", p(t.cpu_s[DATABASE]))
    };
    let all = p(t.cpu_s[SERVER] + t.cpu_s[AGENTS] + t.cpu_s[DATABASE]);
    format!(
        "{:.1} / {:.1} / {db} ({all:.1})",
        p(t.cpu_s[SERVER]),
        p(t.cpu_s[AGENTS])
    )
}

fn steady(row: &Row, f: impl Fn(&crate::figures::Steady) -> String) -> String {
    row.steady.as_ref().map_or_else(|| "—".to_owned(), f)
}
