//! The YAML tree the readers walk: every node knows its file and line.
//!
//! This is the "file type" of the configuration: a faithful, untyped picture of what the
//! operator wrote. [`document`](super::document) builds it from parser events; the section
//! readers turn it into the validated types of [`config`](super).
//!
//! Plain scalars are resolved the YAML 1.1 way, as PyYAML does, because Argos Panoptès
//! configs were written for PyYAML: `yes`/`on` are booleans, `010` is octal, `1e3` (no dot)
//! is a string. One deliberate difference: sexagesimal numbers (`1:30` = 90) stay strings.

use std::path::Path;
use std::sync::Arc;

/// One YAML value with its location.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub value: Value,
    /// The file it was written in (an included file for `!include` content).
    pub file: Arc<Path>,
    /// 1-based line. For a block mapping or list under a key, the line of that key.
    pub line: usize,
}

/// The value of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// In document order; keys are unique (duplicates are reported and dropped).
    Map(Vec<Entry>),
}

/// One `key: value` of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    /// The key as written (YAML keys that look like numbers or booleans stay text).
    pub key: String,
    /// The key's line.
    pub line: usize,
    pub value: Node,
}

impl Node {
    pub(crate) fn new(value: Value, file: &Arc<Path>, line: usize) -> Node {
        Node {
            value,
            file: Arc::clone(file),
            line,
        }
    }

    /// The value of `key` when this is a mapping that has it (null values included).
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key).map(|e| &e.value),
            _ => None,
        }
    }

    /// What the value is, for messages: "a string", "a list", ...
    pub(crate) fn kind(&self) -> String {
        match &self.value {
            Value::Null => "nothing (null)".into(),
            Value::Bool(b) => format!("the boolean {b}"),
            Value::Int(i) => format!("the number {i}"),
            Value::Float(x) => format!("the number {x}"),
            Value::Str(s) => format!("the string {s:?}"),
            Value::Seq(_) => "a list".into(),
            Value::Map(_) => "a mapping".into(),
        }
    }

    /// The value as JSON (for check expectations and request bodies).
    ///
    /// # Errors
    /// The first node that JSON cannot hold (`.inf`, `.nan`), with a message.
    pub(crate) fn to_json(&self) -> Result<serde_json::Value, (&Node, String)> {
        use serde_json::Value as J;
        Ok(match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(x) => match serde_json::Number::from_f64(*x) {
                Some(n) => J::Number(n),
                None => return Err((self, format!("{x} cannot be written in JSON"))),
            },
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => {
                J::Array(items.iter().map(Node::to_json).collect::<Result<_, _>>()?)
            }
            Value::Map(entries) => {
                let mut map = serde_json::Map::new();
                for e in entries {
                    map.insert(e.key.clone(), e.value.to_json()?);
                }
                J::Object(map)
            }
        })
    }
}

/// Resolves an untagged plain scalar (YAML 1.1 core types, PyYAML flavour).
///
/// # Errors
/// An integer that does not fit in 64 bits.
pub(crate) fn resolve_plain(text: &str) -> Result<Value, String> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        _ => {}
    }
    if let Some(b) = resolve_bool(text) {
        return Ok(Value::Bool(b));
    }
    if let Some(int) = resolve_int(text) {
        return int
            .map(Value::Int)
            .ok_or_else(|| format!("the integer {text} is too large"));
    }
    Ok(resolve_float(text).map_or_else(|| Value::Str(text.to_owned()), Value::Float))
}

pub(crate) fn resolve_bool(text: &str) -> Option<bool> {
    match text {
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => Some(true),
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

/// `Some(None)`: it is an integer, but out of range. `None`: not an integer.
pub(crate) fn resolve_int(text: &str) -> Option<Option<i64>> {
    let (negative, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if !body.as_bytes().first()?.is_ascii_digit() {
        return None;
    }
    let (radix, digits) = if let Some(rest) = body.strip_prefix("0x") {
        (16, rest)
    } else if let Some(rest) = body.strip_prefix("0o") {
        (8, rest)
    } else if let Some(rest) = body.strip_prefix("0b") {
        (2, rest)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..]) // YAML 1.1 octal, as PyYAML: 0755
    } else {
        (10, body)
    };
    let digits: String = digits.chars().filter(|c| *c != '_').collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    // Parse the magnitude as u64 so that i64::MIN still fits once negated.
    let magnitude = u64::from_str_radix(&digits, radix).ok();
    Some(magnitude.and_then(|m| {
        if negative {
            0i64.checked_sub_unsigned(m)
        } else {
            i64::try_from(m).ok()
        }
    }))
}

/// PyYAML's float: a dot is required, an exponent needs its sign; `.inf`, `.nan`.
pub(crate) fn resolve_float(text: &str) -> Option<f64> {
    let (sign, body) = match text.as_bytes().first()? {
        b'-' => (-1.0, &text[1..]),
        b'+' => (1.0, &text[1..]),
        _ => (1.0, text),
    };
    match body {
        ".inf" | ".Inf" | ".INF" => return Some(sign * f64::INFINITY),
        ".nan" | ".NaN" | ".NAN" if sign > 0.0 && !text.starts_with('+') => return Some(f64::NAN),
        _ => {}
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int_part, frac_part) = mantissa.split_once('.')?;
    let int_ok = int_part.is_empty() || int_part.as_bytes()[0].is_ascii_digit();
    let frac_ok =
        !int_part.is_empty() || frac_part.as_bytes().first().is_some_and(u8::is_ascii_digit);
    let digits_ok = |s: &str| s.chars().all(|c| c.is_ascii_digit() || c == '_');
    let exp_ok = exponent.is_none_or(|e| {
        e.len() > 1
            && (e.starts_with('+') || e.starts_with('-'))
            && e[1..].chars().all(|c| c.is_ascii_digit())
    });
    if !(int_ok && frac_ok && digits_ok(int_part) && digits_ok(frac_part) && exp_ok) {
        return None;
    }
    let cleaned: String = body.chars().filter(|c| *c != '_').collect();
    cleaned.parse::<f64>().ok().map(|x| sign * x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_scalars_resolve_like_pyyaml() {
        let cases: &[(&str, Value)] = &[
            ("", Value::Null),
            ("~", Value::Null),
            ("NULL", Value::Null),
            ("yes", Value::Bool(true)),
            ("Off", Value::Bool(false)),
            ("TRUE", Value::Bool(true)),
            ("tRue", Value::Str("tRue".into())),
            ("42", Value::Int(42)),
            ("-1_000", Value::Int(-1000)),
            ("+7", Value::Int(7)),
            ("0x1F", Value::Int(31)),
            ("0o17", Value::Int(15)),
            ("0b101", Value::Int(5)),
            ("0755", Value::Int(493)),
            ("0", Value::Int(0)),
            ("08", Value::Str("08".into())),
            ("-9223372036854775808", Value::Int(i64::MIN)),
            ("1.5", Value::Float(1.5)),
            ("-.5", Value::Float(-0.5)),
            ("1.", Value::Float(1.0)),
            ("1.0e+3", Value::Float(1000.0)),
            ("1e3", Value::Str("1e3".into())),
            ("1.0e3", Value::Str("1.0e3".into())),
            ("-.inf", Value::Float(f64::NEG_INFINITY)),
            ("5m", Value::Str("5m".into())),
            ("1:30", Value::Str("1:30".into())),
            ("-", Value::Str("-".into())),
            (".", Value::Str(".".into())),
            ("_1", Value::Str("_1".into())),
        ];
        for (text, want) in cases {
            assert_eq!(&resolve_plain(text).unwrap(), want, "{text:?}");
        }
        assert!(matches!(resolve_plain(".nan"), Ok(Value::Float(x)) if x.is_nan()));
    }

    #[test]
    fn huge_integers_are_an_error_not_a_wrap() {
        assert!(
            resolve_plain("99999999999999999999")
                .unwrap_err()
                .contains("too large")
        );
        assert!(resolve_plain("9223372036854775808").is_err());
        assert!(resolve_plain("0x1_0000_0000_0000_0000").is_err());
    }
}
