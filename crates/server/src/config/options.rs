//! A path's request options: `timeout`, `follow_redirects`, `max_body_bytes` and the redirect
//! opt-ins `follow_redirects_to_private` and `follow_redirects_with_data` (booleans, default
//! false), read into an [`argos_checks::RequestOptions`] (absent keys stay at the agent's
//! defaults).
//!
//! Limits, and why: a `timeout` must stay below `recurring_tasks.max_lock_seconds`, or the
//! lease would expire while the agent still waits and another agent would run the task too;
//! and below five minutes in any case. `follow_redirects` is `true` (10 hops), `false`, or a
//! hop count up to 20. `max_body_bytes` is a byte count or a size with a unit (`"512kB"`,
//! `"2MB"`, `"1MiB"`), up to 64 MiB: a body is held in memory while it is checked.

use std::time::Duration;

use argos_checks::RequestOptions;
use argos_checks::options::{DEFAULT_REDIRECTS, MAX_BODY_BYTES, MAX_REDIRECTS, MAX_TIMEOUT};

use super::problem::Problems;
use super::reader::{self, Section};
use super::yaml::{Node, Value};

/// The option keys of a path.
pub(crate) const KEYS: [&str; 5] = [
    "timeout",
    "follow_redirects",
    "max_body_bytes",
    "follow_redirects_to_private",
    "follow_redirects_with_data",
];

/// Reads the options of a path; `lease` is `recurring_tasks.max_lock_seconds`.
pub(crate) fn read(sec: &Section<'_>, lease: Duration, p: &mut Problems) -> RequestOptions {
    let timeout = sec.get("timeout").and_then(|n| {
        let d = reader::duration(n, &sec.path("timeout"), p)?;
        timeout_ms(n, d, lease, &sec.path("timeout"), p)
    });
    RequestOptions {
        timeout_ms: timeout,
        follow_redirects: sec.opt("follow_redirects", p, redirects).flatten(),
        max_body_bytes: sec.opt("max_body_bytes", p, body_bytes),
        follow_redirects_to_private: sec
            .opt("follow_redirects_to_private", p, reader::boolean)
            .unwrap_or(false),
        follow_redirects_with_data: sec
            .opt("follow_redirects_with_data", p, reader::boolean)
            .unwrap_or(false),
    }
}

fn timeout_ms(
    node: &Node,
    d: Duration,
    lease: Duration,
    path: &str,
    p: &mut Problems,
) -> Option<u64> {
    let max = MAX_TIMEOUT.min(lease);
    if d >= max {
        let why = if max < MAX_TIMEOUT {
            format!(
                "below recurring_tasks.max_lock_seconds ({}s), or the task's lease would expire while it runs",
                lease.as_secs()
            )
        } else {
            format!("at most {}s", MAX_TIMEOUT.as_secs())
        };
        p.error(node, path, format!("the timeout must be {why}, got {d:?}"));
        return None;
    }
    match u64::try_from(d.as_millis()) {
        Ok(ms) if ms >= 1 => Some(ms),
        _ => {
            p.error(node, path, "the timeout must be at least 1ms");
            None
        }
    }
}

/// `true` (the default hop limit), `false`/`0` (`Some(None)`: not followed) or a hop count.
fn redirects(node: &Node, path: &str, p: &mut Problems) -> Option<Option<u32>> {
    match node.value {
        Value::Bool(true) => Some(Some(DEFAULT_REDIRECTS)),
        Value::Bool(false) | Value::Int(0) => Some(None),
        Value::Int(n) if (1..=i64::from(MAX_REDIRECTS)).contains(&n) => Some(u32::try_from(n).ok()),
        _ => {
            p.error(
                node,
                path,
                format!(
                    "expected true, false or a number of redirects up to {MAX_REDIRECTS}, got {}",
                    node.kind()
                ),
            );
            None
        }
    }
}

/// Bytes: a whole number, or a size with a unit (B, kB/KB, MB, KiB, MiB).
fn body_bytes(node: &Node, path: &str, p: &mut Problems) -> Option<u64> {
    let parsed = match &node.value {
        Value::Int(n) => {
            u64::try_from(*n).map_err(|_| format!("a size cannot be negative, got {n}"))
        }
        Value::Str(text) => parse_size(text),
        _ => Err(format!(
            "expected a size such as 1048576 or \"1MiB\", got {}",
            node.kind()
        )),
    };
    match parsed {
        Ok(n) if (1..=MAX_BODY_BYTES).contains(&n) => Some(n),
        Ok(n) => {
            let max = MAX_BODY_BYTES / (1024 * 1024);
            p.error(
                node,
                path,
                format!("must be between 1 byte and {max}MiB, got {n} bytes"),
            );
            None
        }
        Err(message) => {
            p.error(node, path, message);
            None
        }
    }
}

/// `"512kB"`, `"2 MB"`, `"1MiB"`, `"100"`: decimal units are powers of 1000, binary ones of 1024.
fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let factor: u64 = match unit.trim() {
        "" | "B" => 1,
        "kB" | "KB" => 1_000,
        "MB" => 1_000_000,
        "KiB" => 1_024,
        "MiB" => 1_048_576,
        other => {
            return Err(format!(
                "unknown size unit {other:?} in {text:?} (valid: B, kB, KB, MB, KiB, MiB)"
            ));
        }
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("expected a size such as \"1MiB\", got {text:?}"))?;
    let bytes = (value * factor as f64).round();
    if bytes.is_finite() && bytes >= 0.0 && bytes <= u64::MAX as f64 {
        Ok(bytes as u64) // in range, checked above
    } else {
        Err(format!("the size {text:?} is too large"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_decimal_and_binary_units() {
        let table: &[(&str, u64)] = &[
            ("100", 100),
            ("100B", 100),
            ("512kB", 512_000),
            ("512KB", 512_000),
            ("2 MB", 2_000_000),
            ("1.5MiB", 1_572_864),
            ("64KiB", 65_536),
        ];
        for (text, want) in table {
            assert_eq!(parse_size(text), Ok(*want), "{text}");
        }
        assert!(
            parse_size("1GB")
                .unwrap_err()
                .contains("unknown size unit \"GB\"")
        );
        assert!(parse_size("MB").unwrap_err().contains("expected a size"));
        assert!(
            parse_size("2mb")
                .unwrap_err()
                .contains("unknown size unit \"mb\"")
        );
        assert!(parse_size("1e400MB").is_err());
    }
}
