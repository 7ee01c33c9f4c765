//! The domains page's data: one `argos_domains` row per netloc (task counts per severity and
//! the latest check), refreshed by ingestion for the netlocs of each batch and rebuilt by
//! config sync, so that a page reads at most one row per domain and never groups the tasks
//! (page_bench: grouping 30,000 tasks cost about 21 ms on PostgreSQL at every view).
//!
//! Locks: a refresh runs in the transaction that changed the tasks, after their rows are
//! locked, and upserts the domain rows in netloc order; sync does the same for all of them.
//! Tasks first, then domains, each in one order: two writers can wait, never deadlock.

/// The per-netloc counts of `argos_tasks` rows passing `$where` (a `WHERE` clause).
macro_rules! summary {
    ($where:literal) => {
        concat!(
            "INSERT INTO argos_domains (netloc, n_ok, n_warning, n_unknown, n_critical, last_check) \
             SELECT netloc, \
               sum(CASE WHEN severity = 'ok' THEN 1 ELSE 0 END), \
               sum(CASE WHEN severity = 'warning' THEN 1 ELSE 0 END), \
               sum(CASE WHEN severity = 'unknown' THEN 1 ELSE 0 END), \
               sum(CASE WHEN severity = 'critical' THEN 1 ELSE 0 END), \
               max(last_run) \
             FROM argos_tasks ",
            $where,
            " GROUP BY netloc ORDER BY netloc \
             ON CONFLICT (netloc) DO UPDATE SET n_ok = excluded.n_ok, \
               n_warning = excluded.n_warning, n_unknown = excluded.n_unknown, \
               n_critical = excluded.n_critical, last_check = excluded.last_check"
        )
    };
}

/// Refreshes the netlocs of the array `$1` (PostgreSQL).
pub(crate) const REFRESH_PG: &str = summary!("WHERE netloc = ANY($1)");
/// Refreshes the netlocs of the JSON array `$1` (SQLite).
pub(crate) const REFRESH_SQLITE: &str =
    summary!("WHERE netloc IN (SELECT value FROM jsonb_each($1))");
/// Rebuilds every row (after a config sync). `WHERE true` lets SQLite parse the upsert.
pub(crate) const REBUILD: &str = summary!("WHERE true");
/// Netlocs without a task any more.
pub(crate) const DROP_EMPTY: &str = "DELETE FROM argos_domains \
     WHERE NOT EXISTS (SELECT 1 FROM argos_tasks t WHERE t.netloc = argos_domains.netloc)";

/// The rows of the page's filter `$1` (`all`, `not-ok` or a severity) and search `$2`, each
/// severity's count kept only when the filter counts it.
macro_rules! filtered {
    () => {
        "(SELECT netloc, last_check, \
           CASE WHEN $1 IN ('all', 'ok') THEN n_ok ELSE 0 END AS o, \
           CASE WHEN $1 IN ('all', 'not-ok', 'warning') THEN n_warning ELSE 0 END AS w, \
           CASE WHEN $1 IN ('all', 'not-ok', 'unknown') THEN n_unknown ELSE 0 END AS u, \
           CASE WHEN $1 IN ('all', 'not-ok', 'critical') THEN n_critical ELSE 0 END AS c \
         FROM argos_domains WHERE ($2 = '%' OR lower(netloc) LIKE $2 ESCAPE '\\')) AS d \
         WHERE o + w + u + c > 0"
    };
}

/// One page: `mask` and `worst_rank` as `rows::domain_row` reads them (see
/// `Severity::rank`), ordered by `$order`.
macro_rules! page {
    ($order:expr) => {
        concat!(
            "SELECT netloc, last_check, CAST(o + w + u + c AS BIGINT) AS tasks, \
               CAST(CASE WHEN c > 0 THEN 3 WHEN u > 0 THEN 2 WHEN w > 0 THEN 1 ELSE 0 END AS BIGINT) \
                 AS worst_rank, \
               CAST((CASE WHEN c > 0 THEN 8 ELSE 0 END) + (CASE WHEN u > 0 THEN 4 ELSE 0 END) \
                 + (CASE WHEN w > 0 THEN 2 ELSE 0 END) + (CASE WHEN o > 0 THEN 1 ELSE 0 END) AS BIGINT) \
                 AS mask \
             FROM ",
            filtered!(),
            " ORDER BY ",
            $order,
            " LIMIT $3 OFFSET $4"
        )
    };
}

/// The pages of one backend, by sort (`$collate` orders names bytewise).
macro_rules! pages {
    ($collate:literal) => {
        [
            page!(concat!("worst_rank DESC, netloc ", $collate)),
            page!(concat!("netloc ", $collate)),
            page!(concat!(
                "last_check IS NOT NULL, last_check, netloc ",
                $collate
            )),
        ]
    };
}

const PAGES_PG: [&str; 3] = pages!("COLLATE \"C\"");
const PAGES_SQLITE: [&str; 3] = pages!("COLLATE BINARY");

fn index(sort: super::DomainSort) -> usize {
    match sort {
        super::DomainSort::Severity => 0,
        super::DomainSort::Name => 1,
        super::DomainSort::LastCheck => 2,
    }
}

/// The domains page SQL of PostgreSQL for `sort`.
pub(crate) fn page_pg(sort: super::DomainSort) -> &'static str {
    PAGES_PG[index(sort)]
}

/// The domains page SQL of SQLite for `sort`.
pub(crate) fn page_sqlite(sort: super::DomainSort) -> &'static str {
    PAGES_SQLITE[index(sort)]
}

/// Domains and tasks matching the filter, over every page.
pub(crate) const TOTALS: &str = concat!(
    "SELECT count(*) AS domains, CAST(coalesce(sum(o + w + u + c), 0) AS BIGINT) AS tasks FROM ",
    filtered!()
);
