//! What the four `json-*` checks share: reading the body as JSON, strict equality, and the
//! reference's context `{expected, retrieved: the body}`.

use serde_json::{Map, Value, json};

use crate::Outcome;
use crate::probe::Fetched;

/// The body as JSON, or the `error` outcome saying why it is not (reference: `error`/`unknown`).
pub(super) fn body(fetched: &Fetched) -> Result<Value, Outcome> {
    // Some servers send a UTF-8 byte order mark; JSON parsers (and Python's) tolerate it.
    let bytes = fetched
        .body
        .strip_prefix(b"\xef\xbb\xbf")
        .unwrap_or(&fetched.body);
    serde_json::from_slice(bytes).map_err(|e| {
        let mut message = format!("the response body is not valid JSON: {e}");
        if fetched.body_truncated {
            message.push_str(&format!(
                " (only the first {} bytes were read)",
                fetched.body.len()
            ));
        }
        let out = Outcome::error("InvalidJson", message);
        if fetched.body_truncated {
            out.with("body_truncated", true)
        } else {
            out
        }
    })
}

/// `{expected, retrieved: body}`, with `body_truncated: true` when the size cap cut the body
/// (a cut body can still parse, e.g. when only trailing space was cut: the result says so).
pub(super) fn context(expected: String, body: Value, fetched: &Fetched) -> Map<String, Value> {
    let mut ctx = super::context(json!({"expected": expected, "retrieved": body}));
    if fetched.body_truncated {
        ctx.insert("body_truncated".to_owned(), true.into());
    }
    ctx
}

/// Strict JSON equality: types must match (`1` is not `true`), numbers compare by value
/// (`1 == 1.0`), object key order is ignored.
pub(super) fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => same_number(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn same_number(x: &serde_json::Number, y: &serde_json::Number) -> bool {
    // Integers compare exactly (an f64 would merge large neighbours); mixed ones as floats.
    match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
        (Some(a), Some(b), _, _) => a == b,
        (_, _, Some(a), Some(b)) => a == b,
        _ => x.as_f64() == y.as_f64(),
    }
}

/// A JSON value's type name, for messages.
pub(super) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    #[test]
    fn equality_is_strict_but_numeric() {
        assert!(same(&json!(1), &json!(1.0)));
        assert!(!same(&json!(1), &json!(true)));
        assert!(!same(&json!(0), &json!(false)));
        assert!(!same(&json!("1"), &json!(1)));
        assert!(same(
            &json!({"a": [1, {"b": 2.0}]}),
            &json!({"a": [1.0, {"b": 2}]})
        ));
        assert!(!same(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
        assert!(!same(&json!([1, 2]), &json!([2, 1])));
        assert!(!same(&json!(u64::MAX), &json!(u64::MAX - 1)));
        assert!(same(&json!(-3), &json!(-3.0)));
    }

    #[test]
    fn a_non_json_body_is_an_error() {
        let out = body(&Fetched::test(200, &[], b"<html>")).unwrap_err();
        assert_eq!(out.status, Status::Error);
        assert!(
            out.context["error_message"]
                .as_str()
                .unwrap()
                .starts_with("the response body is not valid JSON")
        );
        let mut f = Fetched::test(200, &[], b"{\"a\": [1, 2");
        f.body_truncated = true;
        let out = body(&f).unwrap_err();
        assert!(
            out.context["error_message"]
                .as_str()
                .unwrap()
                .ends_with("(only the first 11 bytes were read)")
        );
        assert_eq!(out.context["body_truncated"], true);
        assert_eq!(
            body(&Fetched::test(200, &[], b"\xef\xbb\xbf[1]")).unwrap(),
            json!([1])
        );
    }
}
