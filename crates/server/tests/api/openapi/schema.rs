//! Checks JSON values against the schemas of our OpenAPI document: the subset of JSON Schema
//! that utoipa writes (`$ref`, `allOf`, `oneOf`, `type`, `enum`, `required`, `properties`,
//! `additionalProperties`, `items`, `format: date-time`).
//!
//! Stricter than JSON Schema on purpose: an object key that its schema does not list is an
//! error, so that a field added to an answer without its documentation fails the tests.

use std::collections::BTreeSet;

use serde_json::Value;

/// Every `$ref` of `doc`.
pub fn refs(doc: &Value) -> Vec<String> {
    let mut found = Vec::new();
    collect_refs(doc, &mut found);
    found
}

fn collect_refs(v: &Value, found: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                found.push(r.clone());
            }
            map.values().for_each(|v| collect_refs(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, found)),
        _ => {}
    }
}

/// What a local `$ref` (`#/components/...`) points to.
pub fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

/// Panics with every mismatch between `value` and `schema`.
pub fn assert_valid(doc: &Value, schema: &Value, value: &Value, what: &str) {
    let mut errors = Vec::new();
    check(doc, schema, value, "$", true, &mut errors);
    assert!(
        errors.is_empty(),
        "{what} does not match its schema:\n{}\nvalue: {value:#}",
        errors.join("\n")
    );
}

/// Checks `v` at `at`; `closed`: keys not listed by the schema are errors.
fn check(doc: &Value, schema: &Value, v: &Value, at: &str, closed: bool, errors: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let target = resolve(doc, r).unwrap_or_else(|| panic!("dangling $ref {r}"));
        return check(doc, target, v, at, closed, errors);
    }
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        for part in parts {
            check(doc, part, v, at, false, errors);
        }
    }
    if let Some(choices) = schema.get("oneOf").and_then(Value::as_array) {
        let matching = choices
            .iter()
            .filter(|c| {
                let mut e = Vec::new();
                check(doc, c, v, at, closed, &mut e);
                e.is_empty()
            })
            .count();
        if matching != 1 {
            errors.push(format!("{at}: matches {matching} of the oneOf choices"));
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array)
        && !values.contains(v)
    {
        errors.push(format!("{at}: {v} is not one of {values:?}"));
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            other => other.as_str().into_iter().collect(),
        };
        if !types.iter().any(|t| has_type(v, t)) {
            errors.push(format!("{at}: {v} is not of type {types:?}"));
        }
    }
    if schema.get("format").and_then(Value::as_str) == Some("date-time")
        && let Some(s) = v.as_str()
        && chrono::DateTime::parse_from_rfc3339(s).is_err()
    {
        errors.push(format!("{at}: {s} is not an RFC 3339 date-time"));
    }
    match v {
        Value::Object(map) => check_object(doc, schema, map, at, closed, errors),
        Value::Array(items) => {
            if let Some(item) = schema.get("items") {
                for (i, x) in items.iter().enumerate() {
                    check(doc, item, x, &format!("{at}[{i}]"), true, errors);
                }
            }
        }
        _ => {}
    }
}

fn check_object(
    doc: &Value,
    schema: &Value,
    map: &serde_json::Map<String, Value>,
    at: &str,
    closed: bool,
    errors: &mut Vec<String>,
) {
    for key in schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = key.as_str().unwrap();
        if !map.contains_key(key) {
            errors.push(format!("{at}: `{key}` is missing"));
        }
    }
    let props = schema.get("properties").and_then(Value::as_object);
    let extra = schema.get("additionalProperties").filter(|s| s.is_object());
    for (key, x) in map {
        let inner = format!("{at}.{key}");
        match (props.and_then(|p| p.get(key)), extra) {
            (Some(s), _) | (None, Some(s)) => check(doc, s, x, &inner, true, errors),
            (None, None) => {}
        }
    }
    if closed && extra.is_none() && (props.is_some() || schema.get("allOf").is_some()) {
        let listed = listed_keys(doc, schema);
        for key in map.keys().filter(|k| !listed.contains(*k)) {
            errors.push(format!("{at}: `{key}` is not in the schema"));
        }
    }
}

/// The property names of `schema`, through `$ref` and `allOf`.
fn listed_keys(doc: &Value, schema: &Value) -> BTreeSet<String> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return listed_keys(doc, resolve(doc, r).unwrap());
    }
    let mut keys: BTreeSet<String> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    for part in schema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        keys.extend(listed_keys(doc, part));
    }
    keys
}

fn has_type(v: &Value, t: &str) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "string" => v.is_string(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => true,
    }
}
