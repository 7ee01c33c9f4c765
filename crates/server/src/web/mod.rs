//! The HTTP layer: the agent API, the JSON API and the pages, in one router.

pub mod agent_api;
pub mod api;
pub mod chart;
pub mod dashboard;
pub mod docs;
mod error;
pub mod login;
pub mod pages;
pub mod recheck;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::Error;

use crate::state::AppState;

/// Longest time a request may take before the server answers 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Every route, under `general.root_path` when one is configured (reverse-proxy
/// deployments). The root path is read at each request, so a reload that changes it moves
/// the site at once.
pub fn router(state: Arc<AppState>) -> Router {
    let routes = Router::new()
        .merge(agent_api::router())
        .merge(api::router())
        .merge(pages::router())
        .merge(docs::router())
        .merge(login::router())
        .merge(recheck::router())
        // Inner to outer: error pages in the layout (they need the visitor the guard finds),
        // who may see what, then the security headers on every answer (refusals included).
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            pages::error_pages,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::guard,
        ))
        .layer(axum::middleware::from_fn(crate::auth::headers::add))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(CatchPanicLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state.clone());
    under_root(state, routes)
}

/// Serves `routes` under the root path in force: with `/argos`, `/argos`, `/argos/` and
/// `/argos/x` reach `/`, `/` and `/x` (axum's `nest` leaves `/argos/` unmatched, and every
/// page links to `{root}/`); other paths are not ours (404). The original URI stays
/// available for login redirects.
fn under_root(state: Arc<AppState>, routes: Router) -> Router {
    let strip = move |mut req: axum::extract::Request| {
        let cfg = state.config();
        let root = cfg.general.root_path.as_str();
        if root.is_empty() {
            return req;
        }
        let path = req.uri().path();
        let rest = match path.strip_prefix(root) {
            Some("") => Some("/"),
            Some(r) if r.starts_with('/') => Some(r),
            _ => None,
        };
        if let Some(rest) = rest {
            let pq = match req.uri().query() {
                Some(q) => format!("{rest}?{q}"),
                None => rest.to_owned(),
            };
            let mut parts = req.uri().clone().into_parts();
            parts.path_and_query = pq.parse().ok();
            if let Ok(uri) = axum::http::Uri::from_parts(parts) {
                *req.uri_mut() = uri;
            }
        } else {
            // Not under the root: a path the inner router has no route for.
            *req.uri_mut() = axum::http::Uri::from_static("/.outside-root");
        }
        req
    };
    let inner = tower::ServiceBuilder::new()
        .map_request(strip)
        .service(routes);
    Router::new().fallback_service(inner)
}
