//! The API's own documentation: the OpenAPI 3.1 document at `/openapi.json`, Swagger UI at
//! `/docs` and Redoc at `/redoc`, all served from the binary (no CDN: the pages work offline).
//!
//! The document is generated from the handlers' `#[utoipa::path]` attributes. The JSON
//! modules ([`agent_api`], [`api`]) register their routes with `utoipa_axum::routes!`, which
//! adds each handler to the axum router *and* to the document at once, and [`spec`] builds
//! the document from those very routers, so a route registered that way is documented by
//! construction (`tests/api/openapi.rs` fails on a JSON route added with a plain `.route`).
//! To add an endpoint: annotate the handler with `#[utoipa::path]` (tag, `security`, every
//! response, `response = Unauthorized` etc. for the errors) and register it with
//! `.routes(routes!(handler))`; the tests check that nothing is missing.
//!
//! Not for: the HTML pages, which are not part of the API.

mod bodies;
mod ui;
pub(crate) mod wire;

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::{Extension, Router};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, Server};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::session::SESSION_COOKIE;
use crate::state::AppState;
use crate::web::{agent_api, api};

pub(crate) use bodies::{
    Agents, Alerts, BadQuery, DomainTasks, Domains, Forbidden, Health, Internal, NotFound,
    ResultIds, Summary, Unauthorized, Unavailable, Unprocessable, Version,
};

/// The security scheme of the agent API: `Authorization: Bearer <token>`. The handlers'
/// `security(...)` must spell these names out (the macro takes literals); the tests check them.
pub const AGENT_TOKEN: &str = "agent_token";
/// The security scheme of the app API: the session cookie.
pub const SESSION: &str = "session";

/// The document's fixed parts; the paths come from the routers (see [`spec`]).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Argos",
        description = "Website monitoring: the agent API (tasks out, results in) and the JSON \
                       API behind the pages. Every error answer is `{\"detail\": \"...\"}`.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    modifiers(&SecuritySchemes),
    components(
        schemas(bodies::ErrorBody),
        responses(BadQuery, Unauthorized, Forbidden, NotFound, Unprocessable, Internal, Unavailable),
    ),
    tags(
        (name = "agent", description = "For agents: lease tasks, post their results. \
                                        Needs an agent token: a shared one (`service.secrets`) \
                                        or the agent's own (`argos server agent-token add`)."),
        (name = "app", description = "What the pages show, as JSON. Needs a session, unless \
                                      `general.unauthenticated_access` opens it."),
        (name = "monitoring", description = "For monitoring systems and load balancers."),
        (name = "docs", description = "This document."),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        let bearer = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(
                "One of the tokens of `service.secrets` in the config, or an agent's own token \
                 (`argos server agent-token add --name NAME`), which makes the request that \
                 agent's.",
            ))
            .build();
        components.add_security_scheme(AGENT_TOKEN, SecurityScheme::Http(bearer));
        let cookie = ApiKeyValue::with_description(
            SESSION_COOKIE,
            "The session cookie set by logging in on the `/login` page. Pages and the app \
             API need it unless `general.unauthenticated_access` opens them.",
        );
        components.add_security_scheme(SESSION, SecurityScheme::ApiKey(ApiKey::Cookie(cookie)));
    }
}

/// Every route that serves JSON, with its documentation.
fn documented() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(agent_api::router())
        .merge(api::router())
        .merge(spec_route())
}

/// `/openapi.json` itself (a JSON route too, so it is in the document).
fn spec_route() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::default().routes(routes!(openapi_json))
}

/// The OpenAPI document of every JSON route. `root_path` (`general.root_path`) becomes the
/// document's server, so that "try it out" reaches the API behind a path prefix.
pub fn spec(root_path: &str) -> Document {
    let mut doc = documented().into_openapi();
    if !root_path.is_empty() {
        doc.servers = Some(vec![Server::new(root_path)]);
    }
    doc
}

/// The document as served: serialised once per `root_path` (a reload may change it).
#[derive(Clone, Default)]
struct SpecJson(Arc<Mutex<Option<(String, Bytes)>>>);

impl SpecJson {
    fn for_root(&self, root_path: &str) -> Bytes {
        // A poisoned lock only means a panic while serialising: the cache is still usable.
        let mut cached = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((root, json)) = &*cached
            && root == root_path
        {
            return json.clone();
        }
        let json = spec(root_path)
            .to_pretty_json()
            .expect("an OpenAPI document always serialises");
        let json = Bytes::from(json);
        *cached = Some((root_path.to_owned(), json.clone()));
        json
    }
}

/// `/openapi.json`, `/docs` and `/redoc`. The document names `general.root_path` as it is
/// at each request.
pub fn router() -> Router<Arc<AppState>> {
    let (spec_route, _) = spec_route().split_for_parts();
    spec_route
        .layer(Extension(SpecJson::default()))
        .merge(ui::router())
}

/// Whether `path` (below `general.root_path`, as the routes inside the nest see it) is served
/// by this module: `/openapi.json`, `/docs`, `/docs/…`, `/redoc`, `/redoc/…`.
///
/// The security-headers middleware relaxes the Content-Security-Policy there
/// (`auth::headers::DOCS_CSP`). Neither page has an inline script and both load everything
/// from this server (`script-src 'self'`, `connect-src 'self'`, `img-src 'self' data:`),
/// but they set inline styles: Redoc does not render at all without
/// `style-src 'self' 'unsafe-inline'`, Swagger UI renders but loses some styling (its logo).
/// Redoc also starts its search index in a `blob:` worker (`worker-src 'self' blob:`;
/// without it the page still renders, the worker is refused). The only remote file either
/// page asks for is Redoc's footer logo, which `img-src` blocks (offline it fails anyway).
pub fn is_docs_path(path: &str) -> bool {
    let under = |dir: &str| {
        path.strip_prefix(dir)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    path == "/openapi.json" || under("/docs") || under("/redoc")
}

/// This document (OpenAPI 3.1).
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "docs",
    security(()),
    responses(
        (status = 200, description = "The OpenAPI document", body = Object),
        (status = 500, response = Internal),
    )
)]
async fn openapi_json(
    State(state): State<Arc<AppState>>,
    Extension(spec): Extension<SpecJson>,
) -> impl IntoResponse {
    let json = spec.for_root(&state.config().general.root_path);
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        json,
    )
}

#[cfg(test)]
mod tests {
    use super::is_docs_path;

    #[test]
    fn docs_paths_are_the_pages_their_files_and_the_document() {
        for p in [
            "/openapi.json",
            "/docs",
            "/docs/",
            "/docs/swagger-ui.css",
            "/redoc",
        ] {
            assert!(is_docs_path(p), "{p}");
        }
        assert!(is_docs_path("/redoc/redoc.standalone.js"));
        for p in [
            "/",
            "/docsx",
            "/redocs",
            "/domain/docs",
            "/api/app/",
            "/static/x.css",
        ] {
            assert!(!is_docs_path(p), "{p}");
        }
    }
}
