//! Swagger UI (`/docs/`) and Redoc (`/redoc`), served from the binary.
//!
//! Both pages load only our own files, through relative URLs, so they work offline and under
//! any `general.root_path` (or a proxy's prefix): `/docs` redirects to `docs/`, whose files
//! load `../openapi.json`; `/redoc` loads `redoc/…` and `openapi.json`. Neither page has an
//! inline script (Swagger UI's config is in its `swagger-initializer.js`, Redoc is started
//! by `redoc/init.js`).

use std::sync::Arc;

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Router};
use utoipa_swagger_ui::Config;

use crate::state::AppState;

/// Version of the vendored Redoc bundle (`assets/redoc/`); its URL carries it, so that the
/// long cache below never serves an old bundle after an upgrade.
pub const REDOC_VERSION: &str = "2.5.4";

const REDOC_HTML: &str = include_str!("redoc.html");
const REDOC_INIT: &str = include_str!("redoc-init.js");
const REDOC_BUNDLE: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/redoc/redoc.standalone.js"
));

/// A year: for files whose URL changes with their content.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// A day: Swagger UI's files change only with the binary.
const A_DAY: &str = "public, max-age=86400";

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

/// The Swagger UI and Redoc routes.
pub(super) fn router() -> Router<Arc<AppState>> {
    // The document is next to `docs/`; Swagger's own validator badge would call the internet.
    let swagger = Config::new(["../openapi.json"]).validator_url("none");
    Router::new()
        .route("/docs", get(|| async { Redirect::to("docs/") }))
        .route("/docs/", get(swagger_index))
        .route("/docs/{*file}", get(swagger_file))
        .route("/redoc", get(redoc_page))
        .route("/redoc/init.js", get(redoc_init))
        .route("/redoc/redoc.standalone.js", get(redoc_bundle))
        .layer(Extension(Arc::new(swagger)))
}

async fn swagger_index(Extension(config): Extension<Arc<Config<'static>>>) -> Response {
    swagger(String::new(), config)
}

async fn swagger_file(
    Path(file): Path<String>,
    Extension(config): Extension<Arc<Config<'static>>>,
) -> Response {
    swagger(file, config)
}

fn swagger(file: String, config: Arc<Config<'static>>) -> Response {
    let found = match utoipa_swagger_ui::serve(&file, config) {
        Ok(found) => found,
        Err(e) => {
            tracing::error!(error = %e, file, "serving Swagger UI");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let Some(found) = found else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // The index and the initializer (which holds the config) follow the server's version.
    let cache = if file.is_empty() || file.ends_with(".html") || file.contains("initializer") {
        "no-cache"
    } else {
        A_DAY
    };
    let mut resp = (
        [
            (header::CONTENT_TYPE, found.content_type),
            (header::CACHE_CONTROL, cache.to_owned()),
        ],
        found.bytes.into_owned(),
    )
        .into_response();
    if found.gzpipped {
        resp.headers_mut().insert(
            header::CONTENT_ENCODING,
            header::HeaderValue::from_static("gzip"),
        );
    }
    resp
}

async fn redoc_page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        REDOC_HTML.replace("{{version}}", REDOC_VERSION),
    )
}

async fn redoc_init() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, JAVASCRIPT),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        REDOC_INIT,
    )
}

async fn redoc_bundle() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, JAVASCRIPT),
            (header::CACHE_CONTROL, IMMUTABLE),
        ],
        REDOC_BUNDLE,
    )
}
