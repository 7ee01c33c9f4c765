//! What to send: the URL, method, IP family, the optional body and headers of a path's
//! `request_data`, and the path's request options.

use serde_json::Value;

use crate::options::RequestOptions;
use crate::wire::{IpVersion, Method, RequestData};

/// One request to send.
#[derive(Debug, Clone)]
pub struct Request {
    /// The URL requested (for `http-to-https`, already the `http://` one).
    pub url: url::Url,
    /// The method.
    pub method: Method,
    /// The IP family to use.
    pub ip_version: IpVersion,
    /// Body and extra headers.
    pub request_data: Option<RequestData>,
    /// Deadline, redirects and body cap, when the path changes them.
    pub options: RequestOptions,
}

impl Request {
    /// A GET of `url` over `ip_version`, with no data and default options.
    pub fn get(url: url::Url, ip_version: IpVersion) -> Request {
        Request {
            url,
            method: Method::Get,
            ip_version,
            request_data: None,
            options: RequestOptions::default(),
        }
    }
}

/// Adds headers and body (reference §1.8): no body when `data` is null, JSON when `json` is
/// true, otherwise a map as a urlencoded form and a string as raw text.
pub(super) fn with_data(
    mut builder: reqwest::RequestBuilder,
    data: &RequestData,
) -> Result<reqwest::RequestBuilder, String> {
    check_request_data(data)?;
    for (name, value) in data.headers.iter().flatten() {
        builder = builder.header(name, value);
    }
    Ok(match (&data.data, data.json) {
        (Value::Null, _) => builder,
        (body, true) => builder.json(body),
        (Value::Object(form), false) => builder.form(form),
        (Value::String(raw), false) => builder.body(raw.clone()),
        (_, false) => unreachable!("check_request_data rejected other bodies"),
    })
}

/// Whether `data` can be sent: valid header names and values, and, unless `json` is true, a
/// body that is null, a string, or a map of scalars (a form).
///
/// # Errors
/// A message saying what is wrong.
pub fn check_request_data(data: &RequestData) -> Result<(), String> {
    use reqwest::header::{HeaderName, HeaderValue};
    for (name, value) in data.headers.iter().flatten() {
        HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("invalid request header name {name:?}"))?;
        HeaderValue::from_str(value)
            .map_err(|_| format!("invalid value for request header {name:?}"))?;
    }
    match (&data.data, data.json) {
        (Value::Null | Value::String(_), _) | (_, true) => Ok(()),
        (Value::Object(form), false) => {
            match form.iter().find(|(_, v)| v.is_array() || v.is_object()) {
                Some((key, _)) => Err(format!(
                    "form field {key:?} must be a string, number or boolean"
                )),
                None => Ok(()),
            }
        }
        (other, false) => Err(format!(
            "request data must be a map (form) or a string unless json is true, got {other}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn request_data_is_checked() {
        let data = |data, json| RequestData {
            data,
            json,
            headers: None,
        };
        assert!(check_request_data(&data(json!({"a": 1, "b": "x"}), false)).is_ok());
        assert!(check_request_data(&data(json!([1]), true)).is_ok());
        assert!(
            check_request_data(&data(json!([1]), false))
                .unwrap_err()
                .contains("got [1]")
        );
        assert!(
            check_request_data(&data(json!({"a": {"b": 1}}), false))
                .unwrap_err()
                .contains("\"a\"")
        );
        let mut bad = data(Value::Null, false);
        bad.headers = Some([("bad name".to_owned(), "v".to_owned())].into());
        assert_eq!(
            check_request_data(&bad).unwrap_err(),
            r#"invalid request header name "bad name""#
        );
    }
}
