//! Logins: who may see what (`general.unauthenticated_access`), users and their passwords,
//! sessions, CSRF and login throttling.
//!
//! - [`area`]: which part of the site a path belongs to, and so who may request it;
//! - [`guard`]: the middleware that finds the visitor's session, refuses what they may not
//!   see (JSON: 401 with a JSON body; pages: a redirect to `/login?next=…`) and hands the
//!   handlers a [`Visitor`];
//! - [`headers`]: the security headers every response gets;
//! - `password`, `session`, `throttle`, `ldap`: the pieces;
//! - [`agent_token`]: the agents' own tokens (the agent API; not for people).
//!
//! Access, per `unauthenticated_access`: unset, only `/login`, static assets, the agent API,
//! `/healthz`, `/api/severities` (counts that monitoring systems poll, as in Argos
//! Panoptès) and the API description are public; `dashboard` adds `/` and `/api/app/`;
//! `all` makes everything public.

pub mod agent_token;
pub mod headers;
pub mod ldap;
pub mod password;
pub mod session;
pub mod throttle;

use std::sync::Arc;

use axum::extract::{OriginalUri, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde_json::json;

use crate::config::{General, UnauthenticatedAccess};
use crate::state::AppState;
use session::{CSRF_COOKIE, CookieJar, SESSION_COOKIE};

/// Who may request a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Anyone: the login page, static assets, health, the API description.
    Public,
    /// Agents, with their bearer token (checked by the agent API itself).
    Agent,
    /// The dashboard: public with `unauthenticated_access: dashboard`.
    Dashboard,
    /// Everything else: logged-in users (or anyone with `unauthenticated_access: all`).
    Private,
}

/// The area of `path` (relative to `root_path`).
pub fn area(path: &str) -> Area {
    match path {
        "/login" | "/healthz" | "/api/severities" | "/openapi.json" => Area::Public,
        "/api/tasks" | "/api/results" => Area::Agent,
        "/" | "/api/app/" | "/api/app" => Area::Dashboard,
        p if p.starts_with("/static/") || p.starts_with("/docs") || p.starts_with("/redoc") => {
            Area::Public
        }
        _ => Area::Private,
    }
}

/// Whether a visitor with (or without) a session may request `area`.
pub fn allowed(area: Area, mode: Option<UnauthenticatedAccess>, logged_in: bool) -> bool {
    match (area, mode) {
        (Area::Public | Area::Agent, _) | (_, Some(UnauthenticatedAccess::All)) => true,
        (Area::Dashboard, Some(UnauthenticatedAccess::Dashboard)) => true,
        _ => logged_in,
    }
}

/// The visitor of a request, as the handlers see it.
#[derive(Debug, Clone, Default)]
pub struct Visitor {
    /// The logged-in user's name.
    pub user: Option<String>,
    /// The session cookie (to log out, and to bind CSRF fields).
    pub session_token: Option<String>,
    /// The CSRF cookie (set on this response when new).
    pub csrf_cookie: String,
    /// The field forms must carry.
    pub csrf: String,
}

impl Visitor {
    /// Whether a form's `csrf` field is the one this visitor's cookies call for.
    pub fn csrf_ok(&self, secret: &str, field: &str) -> bool {
        let session = self.session_token.as_deref().unwrap_or_default();
        session::csrf_ok(secret, &self.csrf_cookie, session, field)
    }
}

/// How this server writes cookies for a request.
pub fn cookie_jar(general: &General, headers: &HeaderMap) -> CookieJar {
    let https_proxy = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    let https_public = general
        .public_url
        .as_ref()
        .is_some_and(|u| u.scheme() == "https");
    CookieJar {
        path: if general.root_path.is_empty() {
            "/".to_owned()
        } else {
            general.root_path.clone()
        },
        secure: https_proxy || https_public,
    }
}

/// The middleware: identifies the visitor, enforces [`allowed`], and sets the CSRF cookie
/// on the first response.
pub async fn guard(State(state): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let cfg = state.config();
    let secret = cfg.general.cookie_secret.clone();
    let headers = req.headers().clone();
    let token = session::cookie(&headers, SESSION_COOKIE).map(str::to_owned);
    let user = match &token {
        Some(t) => match state
            .store
            .session(&session::session_id(&secret, t), Utc::now())
            .await
        {
            Ok(found) => found.map(|s| s.username),
            // 503 with `{"detail"}` when the database is unavailable (logged there).
            Err(e) => return crate::web::Error::from(e).into_response(),
        },
        None => None,
    };
    let area = area(req.uri().path());
    if !allowed(area, cfg.general.unauthenticated_access, user.is_some()) {
        let original = req
            .extensions()
            .get::<OriginalUri>()
            .map_or_else(|| req.uri().clone(), |o| o.0.clone());
        return refuse(&cfg.general.root_path, &original, &headers);
    }
    let existing = session::cookie(&headers, CSRF_COOKIE).map(str::to_owned);
    let csrf_cookie = existing.clone().unwrap_or_else(session::random_token);
    let visitor = Visitor {
        csrf: session::csrf_field(&secret, &csrf_cookie, token.as_deref().unwrap_or_default()),
        user,
        session_token: token,
        csrf_cookie: csrf_cookie.clone(),
    };
    req.extensions_mut().insert(visitor);
    let mut resp = next.run(req).await;
    if existing.is_none() && area != Area::Agent {
        let jar = cookie_jar(&cfg.general, &headers);
        if let Ok(v) = HeaderValue::from_str(&jar.set(CSRF_COOKIE, &csrf_cookie, None)) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

/// JSON clients get a 401 with a JSON body; browsers go to the login page, back afterwards.
fn refuse(root: &str, original: &axum::http::Uri, headers: &HeaderMap) -> Response {
    let wants_json = original.path().starts_with(&format!("{root}/api/"))
        || headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"));
    if wants_json {
        let body = json!({"detail": "Not authenticated: log in first"});
        return (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    }
    let next = original
        .path_and_query()
        .map_or_else(|| original.path().to_owned(), |pq| pq.as_str().to_owned());
    let target = format!("{root}/login?next={}", urlencode(&next));
    Redirect::to(&target).into_response()
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `next` if it is a path on this site (`/…`, never `//host` or `/\host`), else the root.
pub fn safe_next(root: &str, next: Option<&str>) -> String {
    let home = if root.is_empty() {
        "/".to_owned()
    } else {
        format!("{root}/")
    };
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.chars().any(|c| c.is_control())
                && n.starts_with(if root.is_empty() { "/" } else { root }) =>
        {
            n.to_owned()
        }
        _ => home,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn areas_and_access_modes() {
        use UnauthenticatedAccess::{All, Dashboard};
        assert_eq!(area("/login"), Area::Public);
        assert_eq!(area("/static/style.css"), Area::Public);
        assert_eq!(area("/api/results"), Area::Agent);
        assert_eq!(area("/"), Area::Dashboard);
        assert_eq!(area("/domain/a.test"), Area::Private);
        assert_eq!(area("/api/app/domains"), Area::Private);
        assert!(!allowed(Area::Dashboard, None, false));
        assert!(allowed(Area::Dashboard, Some(Dashboard), false));
        assert!(!allowed(Area::Private, Some(Dashboard), false));
        assert!(allowed(Area::Private, Some(All), false));
        assert!(allowed(Area::Private, None, true));
        assert!(allowed(Area::Public, None, false));
    }

    #[test]
    fn next_targets_stay_on_the_site() {
        assert_eq!(safe_next("", Some("/domains?s=ok")), "/domains?s=ok");
        assert_eq!(safe_next("", Some("//evil.example/")), "/");
        assert_eq!(safe_next("", Some("/\\evil.example")), "/");
        assert_eq!(safe_next("", Some("https://evil.example/")), "/");
        assert_eq!(safe_next("", None), "/");
        assert_eq!(safe_next("/argos", Some("/argos/agents")), "/argos/agents");
        assert_eq!(safe_next("/argos", Some("/other")), "/argos/");
        assert_eq!(safe_next("", Some("/a\r\nSet-Cookie: x")), "/");
    }
}
