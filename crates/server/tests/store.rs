//! The store contract suite: every test is written once as `async fn name(store: Store)` and
//! run on both backends.
//!
//! - SQLite: a fresh temporary file per test, always.
//! - PostgreSQL: a fresh database per test (`argos_test_<uuid>`, created through
//!   `DATABASE_URL`, migrated, dropped afterwards, even when the test fails) when
//!   `DATABASE_URL` is set. With `CI=true` and no `DATABASE_URL`, those runs fail instead of
//!   skipping.
//!
//! `contract!(a, b, …)` in a module generates `sqlite::a`, `postgres::a`, …, so a single
//! backend or test can be selected by name: `cargo test --test store postgres::lease`.

/// Runs each listed `async fn(Store)` of the current module on both backends.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crate::harness::on_sqlite(super::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crate::harness::on_postgres(super::$name).await;
                }
            )*
        }
    };
}

// A test crate root resolves `mod x;` next to itself, hence the paths.
#[path = "store/agents.rs"]
mod agents;
#[path = "store/alerting.rs"]
mod alerting;
#[path = "store/domains.rs"]
mod domains;
#[path = "store/due.rs"]
mod due;
#[path = "store/harness.rs"]
mod harness;
#[path = "store/ingest.rs"]
mod ingest;
#[path = "store/lease.rs"]
mod lease;
#[path = "store/outbox.rs"]
mod outbox;
#[path = "store/pages.rs"]
mod pages;
#[path = "store/retention.rs"]
mod retention;
#[path = "store/rollups.rs"]
mod rollups;
#[path = "store/sync.rs"]
mod sync;

#[test]
fn parse_db_url_accepts_the_reference_forms() {
    use argos_server::store::{DbTarget, parse_db_url};
    let cases = [
        (
            "postgresql://argos:pw@db/argos",
            DbTarget::Postgres("postgresql://argos:pw@db/argos".into()),
        ),
        (
            "postgres://db/argos",
            DbTarget::Postgres("postgresql://db/argos".into()),
        ),
        (
            "postgresql+psycopg://argos@db:5433/argos",
            DbTarget::Postgres("postgresql://argos@db:5433/argos".into()),
        ),
        ("sqlite:///argos.db", DbTarget::Sqlite("argos.db".into())),
        (
            "sqlite:////var/lib/argos/argos.db",
            DbTarget::Sqlite("/var/lib/argos/argos.db".into()),
        ),
        ("sqlite::memory:", DbTarget::SqliteMemory),
    ];
    for (url, want) in cases {
        assert_eq!(parse_db_url(url), Ok(want), "{url}");
    }
    for bad in [
        "mysql://u:hunter2@db/argos",
        "sqlite:/argos.db",
        "argos.db",
        "",
    ] {
        let err = parse_db_url(bad).expect_err(bad);
        assert!(
            err.contains("postgresql://") && err.contains("sqlite:///"),
            "{err}"
        );
        assert!(
            !err.contains("hunter2"),
            "the error must not repeat a password: {err}"
        );
    }
}

#[tokio::test]
async fn an_in_memory_store_works_and_reports_its_backend() {
    let store = argos_server::store::Store::connect("sqlite::memory:", 4)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.backend(), "sqlite");
    let specs = [harness::spec("https://a.example/", "status-is")];
    store.sync_tasks(&specs, harness::at(0)).await.unwrap();
    assert_eq!(store.waiting_count(harness::at(0)).await.unwrap(), 1);
}
