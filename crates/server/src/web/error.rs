//! One error type for every handler: status mapping in one place, internals logged once and
//! hidden from clients.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::store;

/// The `Retry-After` of a 503: agents wait at least this long before trying again.
pub const RETRY_AFTER_SECONDS: u16 = 5;

/// What a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 404.
    #[error("not found")]
    NotFound,
    /// 401 with the reference's `detail` text.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 403: authenticated, but not allowed to act so (an agent token used for another agent).
    #[error("{0}")]
    Forbidden(String),
    /// 400/422 with a message for the client.
    #[error("{1}")]
    BadRequest(StatusCode, String),
    /// 503 when the database is unavailable (down, restarting, locked, disk full: see
    /// [`store::Error::unavailable`]), else 500; the cause is logged, not shown.
    #[error(transparent)]
    Store(store::Error),
    /// 500; the cause is logged, not shown.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<store::Error> for Error {
    fn from(e: store::Error) -> Error {
        match e {
            store::Error::NotFound => Error::NotFound,
            other => Error::Store(other),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, detail) = match &self {
            Error::NotFound => (StatusCode::NOT_FOUND, "Not found".to_owned()),
            Error::Unauthorized(msg) => (StatusCode::UNAUTHORIZED, (*msg).to_owned()),
            Error::Forbidden(msg) => (StatusCode::FORBIDDEN, msg.clone()),
            Error::BadRequest(status, msg) => (*status, msg.clone()),
            Error::Store(e) => match e.unavailable() {
                Some(why) => {
                    tracing::error!(error = %e, "the database is unavailable ({why})");
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        format!("The database is unavailable ({why}); try again later"),
                    )
                }
                None => {
                    tracing::error!(error = ?e, "store error");
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "Internal server error".to_owned(),
                    )
                }
            },
            Error::Unexpected(e) => {
                tracing::error!(error = ?e, "unexpected error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal server error".to_owned(),
                )
            }
        };
        let mut resp = (status, Json(json!({ "detail": detail }))).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut()
                .insert("retry-after", RETRY_AFTER_SECONDS.into());
        }
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                "www-authenticate",
                "Bearer".parse().expect("static header value"),
            );
        }
        resp
    }
}
