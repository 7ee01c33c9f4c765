//! Durations as Argos Panoptès writes them (durations-nlp syntax, reference §1.2).
//!
//! It lives in this crate, not in the server's config, because check expectations hold
//! durations too (`response-time: {warning: 500ms}`) and are parsed here.
//!
//! A duration is one or more `<number><unit>` tokens, separated by spaces, tabs, commas or the
//! word `and`: `"5m"`, `"1h30m"`, `"2 days"`, `"1 minute and 30 seconds"`, `"1.5m"`. Units are
//! case-sensitive (`m` is a minute, `M` a month). Unlike the reference, a number without a
//! unit is an error (it silently meant 0), and so is a negative value: a duration here is
//! always a length of time. Zero is allowed by this parser; the readers reject it where a
//! zero makes no sense (which is everywhere in the current schema).

use std::time::Duration;

const DAY: f64 = 86_400.0;

/// (names, seconds), in the order messages list them.
const UNITS: [(&[&str], f64); 10] = [
    (&["ms", "millisecond", "milliseconds"], 0.001),
    (&["s", "second", "seconds"], 1.0),
    (&["m", "minute", "minutes"], 60.0),
    (&["h", "hour", "hours"], 3600.0),
    (&["d", "day", "days"], DAY),
    (&["w", "week", "weeks"], 7.0 * DAY),
    (&["M", "month", "months"], 30.5 * DAY),
    (&["y", "year", "years"], 366.0 * DAY),
    (&["D", "decade", "decades"], 3660.0 * DAY),
    (&["c", "century", "centuries"], 36_600.0 * DAY),
];

/// Parses a duration string.
///
/// # Errors
/// A message for the operator: empty text, a number without a unit, an unknown unit (the
/// message lists the valid ones), a negative or absurdly large value.
pub fn parse(text: &str) -> Result<Duration, String> {
    let mut rest = text;
    let mut seconds = 0.0_f64;
    let mut tokens = 0;
    loop {
        rest = skip_separators(rest);
        if rest.is_empty() {
            break;
        }
        let (number, after) = split_number(rest)
            .ok_or_else(|| format!("expected a number at {rest:?} in duration {text:?}"))?;
        let after = after.trim_start_matches([' ', '\t']);
        let unit_len = after
            .find(|c: char| !c.is_alphabetic())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        seconds += number * unit_seconds(unit, number, text)?;
        tokens += 1;
        rest = after;
    }
    if tokens == 0 {
        return Err("empty duration (write e.g. \"5m\")".into());
    }
    if seconds < 0.0 {
        return Err(format!("duration {text:?} is negative"));
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("duration {text:?} is too large"))
}

/// Every accepted unit name, for messages.
pub fn valid_units() -> String {
    UNITS
        .iter()
        .flat_map(|(names, _)| names.iter().copied())
        .collect::<Vec<_>>()
        .join(", ")
}

fn unit_seconds(unit: &str, number: f64, text: &str) -> Result<f64, String> {
    if unit.is_empty() || unit == "and" {
        return Err(format!(
            "{number} in duration {text:?} has no unit (write e.g. \"{number}m\" for minutes)"
        ));
    }
    UNITS
        .iter()
        .find(|(names, _)| names.contains(&unit))
        .map(|(_, secs)| *secs)
        .ok_or_else(|| {
            format!(
                "unknown unit {unit:?} in duration {text:?} (valid units: {})",
                valid_units()
            )
        })
}

fn skip_separators(mut text: &str) -> &str {
    loop {
        let trimmed = text.trim_start_matches([' ', '\t', ',']);
        // "and" is a separator only as a whole word: "1m and 30s", not the start of a unit.
        text = match trimmed.strip_prefix("and") {
            Some(after) if after.is_empty() || after.starts_with([' ', '\t', ',']) => after,
            _ => return trimmed,
        };
    }
}

/// A leading `[-+]digits[.digits]`, parsed, and the rest.
fn split_number(text: &str) -> Option<(f64, &str)> {
    let sign_len = usize::from(text.starts_with(['-', '+']));
    let body = &text[sign_len..];
    let len = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let digits = &body[..len];
    if !digits.chars().any(|c| c.is_ascii_digit()) || digits.matches('.').count() > 1 {
        return None;
    }
    let number: f64 = text[..sign_len + len].parse().ok()?;
    number.is_finite().then_some((number, &body[len..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(text: &str) -> f64 {
        parse(text)
            .unwrap_or_else(|e| panic!("{text:?}: {e}"))
            .as_secs_f64()
    }

    #[test]
    fn valid_durations() {
        let table: &[(&str, f64)] = &[
            ("5m", 300.0),
            ("1h30m", 5400.0),
            ("2 days", 2.0 * DAY),
            ("1 minute and 30 seconds", 90.0),
            ("1.5m", 90.0),
            ("250ms", 0.25),
            ("1d, 12h", 1.5 * DAY),
            ("1 week", 7.0 * DAY),
            ("1M", 30.5 * DAY),
            ("1y", 366.0 * DAY),
            ("1D", 3660.0 * DAY),
            ("1 century", 36_600.0 * DAY),
            ("2 centuries", 73_200.0 * DAY),
            ("\t7d ", 7.0 * DAY),
            ("0m", 0.0),
            ("1s and 1s and 1s", 3.0),
            ("+10s", 10.0),
            (".5h", 1800.0),
        ];
        for (text, want) in table {
            assert!(
                (secs(text) - want).abs() < 1e-6,
                "{text}: {} != {want}",
                secs(text)
            );
        }
    }

    #[test]
    fn invalid_durations_explain_themselves() {
        let table: &[(&str, &str)] = &[
            ("", "empty duration"),
            ("  and ", "empty duration"),
            ("5", "has no unit"),
            ("5 and 3m", "has no unit"),
            ("5min", "unknown unit \"min\""),
            ("1mo", "unknown unit \"mo\""),
            ("2H", "unknown unit \"H\""),
            ("3S", "unknown unit \"S\""),
            ("1W", "unknown unit \"W\""),
            ("-1d", "is negative"),
            ("m", "expected a number"),
            ("1.2.3m", "expected a number"),
            ("1e400y", "unknown unit \"e\""),
            ("99999999999999999999999c", "too large"),
            ("5m!", "expected a number at \"!\""),
        ];
        for (text, want) in table {
            let err = parse(text).unwrap_err();
            assert!(err.contains(want), "{text:?}: {err}");
        }
        assert!(
            parse("5min")
                .unwrap_err()
                .contains("valid units: ms, millisecond, milliseconds, s,")
        );
    }
}
