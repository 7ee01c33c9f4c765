//! The read side and the small writes whose SQL is the same on both backends, written once:
//! `read_queries!` expands to the same functions in `postgres` and `sqlite`, which differ only
//! in the pool type, how a time is bound, and the collation used for ordering by name.
//!
//! (A generic function over `sqlx::Database` would need a long list of `Encode`/`Decode`/
//! `Executor` bounds; the macro keeps each function as plain as it reads.)

/// `read_queries!(Pool, bind_time, DOMAINS_PAGE_SQL, DOMAIN_TASKS_SQL)`.
macro_rules! read_queries {
    ($Pool:ty, $time:path, $domains_page:path, $domain_tasks:expr) => {
        pub(super) async fn touch_agent(
            pool: &$Pool,
            agent: &str,
            version: Option<&str>,
            now: DateTime<Utc>,
        ) -> Result<(), Error> {
            sqlx::query(q::TOUCH_AGENT)
                .bind(agent)
                .bind($time(now))
                .bind(version)
                .execute(pool)
                .await?;
            Ok(())
        }

        pub(super) async fn agents(pool: &$Pool) -> Result<Vec<AgentRow>, Error> {
            let rows = sqlx::query(q::AGENTS).fetch_all(pool).await?;
            Ok(rows.iter().map(rows::agent_row).collect::<Result<_, _>>()?)
        }

        pub(super) async fn severity_counts(pool: &$Pool) -> Result<SeverityCounts, Error> {
            let rows = sqlx::query(q::SEVERITY_COUNTS).fetch_all(pool).await?;
            Ok(rows::severity_counts(&rows)?)
        }

        pub(super) async fn waiting_count(pool: &$Pool, now: DateTime<Utc>) -> Result<i64, Error> {
            Ok(sqlx::query_scalar(q::WAITING_COUNT)
                .bind($time(now))
                .fetch_one(pool)
                .await?)
        }

        pub(super) async fn domains_page(
            pool: &$Pool,
            filter: DomainFilter,
            search: Option<&str>,
            sort: DomainSort,
            offset: i64,
            limit: i64,
        ) -> Result<DomainsPage, Error> {
            let (f, s) = (q::filter_arg(filter), q::search_arg(search));
            let rows = sqlx::query($domains_page(sort))
                .bind(f)
                .bind(&s)
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?;
            let totals: (i64, i64) = sqlx::query_as(super::domains::TOTALS)
                .bind(f)
                .bind(&s)
                .fetch_one(pool)
                .await?;
            Ok(rows::domains_page(&rows, totals)?)
        }

        pub(super) async fn domain_tasks(
            pool: &$Pool,
            netloc: &str,
        ) -> Result<Vec<TaskView>, Error> {
            let rows = sqlx::query($domain_tasks)
                .bind(netloc)
                .fetch_all(pool)
                .await?;
            Ok(rows.iter().map(rows::task_view).collect::<Result<_, _>>()?)
        }

        pub(super) async fn task(pool: &$Pool, id: i64) -> Result<TaskView, Error> {
            let row = sqlx::query(q::TASK).bind(id).fetch_optional(pool).await?;
            Ok(rows::task_view(&row.ok_or(Error::NotFound)?)?)
        }

        pub(super) async fn task_results(
            pool: &$Pool,
            task_id: i64,
            before: i64,
            limit: i64,
        ) -> Result<Vec<ResultView>, Error> {
            let rows = sqlx::query(q::TASK_RESULTS)
                .bind(task_id)
                .bind(before)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            Ok(rows
                .iter()
                .map(rows::result_view)
                .collect::<Result<_, _>>()?)
        }

        pub(super) async fn result(pool: &$Pool, id: i64) -> Result<ResultView, Error> {
            let row = sqlx::query(q::RESULT).bind(id).fetch_optional(pool).await?;
            Ok(rows::result_view(&row.ok_or(Error::NotFound)?)?)
        }

        pub(super) async fn reschedule_non_ok(
            pool: &$Pool,
            now: DateTime<Utc>,
        ) -> Result<u64, Error> {
            Ok(sqlx::query(q::RESCHEDULE_NON_OK)
                .bind($time(now))
                .execute(pool)
                .await?
                .rows_affected())
        }

        pub(super) async fn recheck_task(
            pool: &$Pool,
            id: i64,
            now: DateTime<Utc>,
        ) -> Result<u64, Error> {
            Ok(sqlx::query(q::RECHECK_TASK)
                .bind($time(now))
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected())
        }

        pub(super) async fn recheck_domain(
            pool: &$Pool,
            netloc: &str,
            now: DateTime<Utc>,
        ) -> Result<u64, Error> {
            Ok(sqlx::query(q::RECHECK_DOMAIN)
                .bind($time(now))
                .bind(netloc)
                .execute(pool)
                .await?
                .rows_affected())
        }

        pub(super) async fn oldest_waiting(
            pool: &$Pool,
            now: DateTime<Utc>,
        ) -> Result<Option<DateTime<Utc>>, Error> {
            let row = sqlx::query(q::OLDEST_WAITING)
                .bind($time(now))
                .fetch_one(pool)
                .await?;
            Ok(rows::Cols::opt_time(&row, "oldest")?)
        }

        pub(super) async fn rebuild_domains(pool: &$Pool) -> Result<(), Error> {
            let mut tx = pool.begin().await?;
            sqlx::query(super::domains::REBUILD)
                .execute(&mut *tx)
                .await?;
            sqlx::query(super::domains::DROP_EMPTY)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        }

        pub(super) async fn stats(pool: &$Pool, now: DateTime<Utc>) -> Result<Stats, Error> {
            let (upcoming_tasks_count, results_count, selected_tasks_count): (i64, i64, i64) =
                sqlx::query_as(<$Pool as q::StatsQuery>::STATS)
                    .bind($time(now))
                    .fetch_one(pool)
                    .await?;
            Ok(Stats {
                upcoming_tasks_count,
                results_count,
                selected_tasks_count,
            })
        }
    };
}
pub(super) use read_queries;
