//! A fresh PostgreSQL database per test.
//!
//! Tests that need PostgreSQL run when `DATABASE_URL` is set (any database on the server; it
//! is used to create and drop the test databases). With `CI=true` and no `DATABASE_URL` they
//! FAIL: CI must run them. Elsewhere they are skipped with a note.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use sqlx::Connection;

/// The admin URL, or `None` (skip) outside CI.
///
/// # Panics
/// When `CI=true` and `DATABASE_URL` is missing.
pub fn database_url() -> Option<String> {
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!(
                "CI=true but DATABASE_URL is not set: the PostgreSQL tests must run in CI (see .ci/run)"
            )
        }
        _ => {
            eprintln!("DATABASE_URL is not set: skipping the PostgreSQL run of this test");
            None
        }
    }
}

/// Creates `argos_test_<uuid>`, runs `test` with its URL, then drops it (also when the test
/// panics, whose panic is then resumed).
///
/// # Panics
/// When PostgreSQL cannot be reached, and as [`database_url`].
pub async fn with_database<F, Fut>(test: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(admin_url) = database_url() else {
        return;
    };
    let name = format!("argos_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("connecting to DATABASE_URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("creating the test database");
    let mut url = url::Url::parse(&admin_url).expect("DATABASE_URL is a URL");
    url.set_path(&name);
    let outcome = AssertUnwindSafe(test(url.to_string())).catch_unwind().await;
    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    sqlx::query(sqlx::AssertSqlSafe(drop))
        .execute(&mut admin)
        .await
        .expect("dropping the test database");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
