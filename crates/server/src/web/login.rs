//! `GET /login`, `POST /login` and `POST /logout`.
//!
//! A login checks the users table (or LDAP when `general.ldap` is set), refuses disabled
//! users, throttles repeated failures per name and per address, opens a server-side session
//! (its lifetime `session_duration`, or `remember_me_duration` when "remember me" is ticked)
//! and goes back to the page that asked for it (`next`, only a path of this site).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use super::pages::{PageError, render_page};
use crate::auth::session::{self, SESSION_COOKIE};
use crate::auth::throttle::{PER_ADDRESS, PER_USER};
use crate::auth::{self, Visitor, ldap, password};
use crate::config::UnauthenticatedAccess;
use crate::state::AppState;
use crate::store::NewSession;

/// The login and logout routes.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/login", get(form).post(login))
        .route("/logout", post(logout))
}

#[derive(Debug, Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// The login form (or straight on when already logged in, or when no login is needed).
async fn form(
    State(state): State<Arc<AppState>>,
    Extension(visitor): Extension<Visitor>,
    Query(q): Query<NextQuery>,
) -> Result<Response, PageError> {
    let cfg = state.config();
    let next = auth::safe_next(&cfg.general.root_path, q.next.as_deref());
    if visitor.user.is_some()
        || cfg.general.unauthenticated_access == Some(UnauthenticatedAccess::All)
    {
        return Ok(Redirect::to(&next).into_response());
    }
    page(&state, &visitor, &next, None, StatusCode::OK)
}

fn page(
    state: &AppState,
    visitor: &Visitor,
    next: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let remember = state.config().general.remember_me_duration.is_some();
    let ctx = json!({ "next": next, "error": error, "remember_me": remember });
    let html: Html<String> = render_page(state, visitor, "login.html", ctx)?;
    Ok((status, html).into_response())
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    remember: Option<String>,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    csrf: String,
}

async fn login(
    State(state): State<Arc<AppState>>,
    Extension(visitor): Extension<Visitor>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    let cfg = state.config();
    let next = auth::safe_next(&cfg.general.root_path, f.next.as_deref());
    if !visitor.csrf_ok(&cfg.general.cookie_secret, &f.csrf) {
        return Err(PageError::csrf());
    }
    let now = Utc::now();
    let (user_key, addr_key) = (
        format!("user:{}", f.username),
        format!("addr:{}", peer.ip()),
    );
    let locked = [&user_key, &addr_key]
        .iter()
        .find_map(|k| state.throttle.locked(k, now));
    if let Some(until) = locked {
        let minutes = ((until - now).num_seconds() + 59) / 60;
        let message = format!("Too many failed logins: try again in {minutes} minute(s).");
        return page(
            &state,
            &visitor,
            &next,
            Some(&message),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let Some((username, user_id)) = check(&state, &f.username, &f.password).await? else {
        state.throttle.fail(&user_key, PER_USER, now);
        state.throttle.fail(&addr_key, PER_ADDRESS, now);
        tracing::warn!(user = %f.username, addr = %peer.ip(), "failed login");
        let message = "Wrong user name or password.";
        return page(
            &state,
            &visitor,
            &next,
            Some(message),
            StatusCode::UNAUTHORIZED,
        );
    };
    state.throttle.succeed(&user_key);
    let remember = f.remember.is_some() && cfg.general.remember_me_duration.is_some();
    let lifetime = match (remember, cfg.general.remember_me_duration) {
        (true, Some(d)) => d,
        _ => cfg.general.session_duration,
    };
    let (lifetime, expires_at) = session::lifetime(now, lifetime);
    let token = session::random_token();
    let id = session::session_id(&cfg.general.cookie_secret, &token);
    let new = NewSession {
        id: &id,
        user_id,
        username: &username,
        expires_at,
        persistent: remember,
    };
    state.store.create_session(&new, now).await?;
    if let Some(uid) = user_id {
        state.store.record_login(uid, now).await?;
    }
    tracing::info!(user = %username, remember, "logged in");
    let jar = auth::cookie_jar(&cfg.general, &headers);
    let cookie = jar.set(SESSION_COOKIE, &token, remember.then_some(lifetime));
    Ok(with_cookie(Redirect::to(&next).into_response(), &cookie))
}

/// Who logged in: their name as the store or the directory spells it, and their id (`None`
/// for an LDAP user). `None` when the credentials are wrong; disabled users and empty
/// passwords never pass.
async fn check(
    state: &AppState,
    name: &str,
    pw: &str,
) -> Result<Option<(String, Option<i64>)>, PageError> {
    if name.is_empty() || pw.is_empty() {
        return Ok(None);
    }
    if let Some(cfg) = &state.config().general.ldap {
        return match ldap::user(cfg, name, pw).await {
            Ok(found) => Ok(found.map(|login| (login, None))),
            Err(e) => {
                tracing::error!(error = %e, "LDAP login failed");
                Err(PageError::unavailable(
                    "The directory could not be reached.",
                ))
            }
        };
    }
    let user = state.store.user(name).await?.filter(|u| !u.disabled);
    let ok = password::verify(pw.to_owned(), user.as_ref().map(|u| u.password.clone())).await;
    Ok(user.filter(|_| ok).map(|u| (u.username, Some(u.id))))
}

#[derive(Debug, Deserialize)]
struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(state): State<Arc<AppState>>,
    Extension(visitor): Extension<Visitor>,
    headers: HeaderMap,
    Form(f): Form<LogoutForm>,
) -> Result<Response, PageError> {
    let cfg = state.config();
    if !visitor.csrf_ok(&cfg.general.cookie_secret, &f.csrf) {
        return Err(PageError::csrf());
    }
    if let Some(token) = &visitor.session_token {
        let id = session::session_id(&cfg.general.cookie_secret, token);
        state.store.delete_session(&id).await?;
    }
    let jar = auth::cookie_jar(&cfg.general, &headers);
    let to = format!("{}/login", cfg.general.root_path);
    Ok(with_cookie(
        Redirect::to(&to).into_response(),
        &jar.clear(SESSION_COOKIE),
    ))
}

fn with_cookie(mut resp: Response, cookie: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}
