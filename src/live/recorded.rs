//! pg_stat_statements as a source of statements: the ones that cost the most, with what the
//! server measured of them. planlint's own statements (each starts with `/* planlint */`, the
//! catalog snapshot with its header comment) are left out, of the ranking and of the total. Read in a READ ONLY transaction like every other query planlint
//! sends; the columns are read through `to_jsonb`, so one query fits PostgreSQL 12's
//! `total_time` and 13's `total_exec_time` alike.

use tokio_postgres::types::Type;

use super::error::LiveError;
use super::session::Session;

/// What to rank the statements by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ranking {
    /// Total execution time.
    Total,
    /// Mean execution time.
    Mean,
    /// Number of calls.
    Calls,
    /// Blocks read from disk or written to temporary files: shared blocks read, temp blocks
    /// read and written.
    Io,
}

impl Ranking {
    /// The name the query ranks by.
    fn as_str(self) -> &'static str {
        match self {
            Self::Total => "total",
            Self::Mean => "mean",
            Self::Calls => "calls",
            Self::Io => "io",
        }
    }
}

/// Which statements to read.
#[derive(Debug, Clone)]
pub struct TopFilter {
    /// How many.
    pub limit: usize,
    /// Ranked by what.
    pub ranking: Ranking,
    /// Only those run by this role.
    pub user: Option<String>,
    /// Only those called at least this often.
    pub min_calls: u64,
    /// Only those taking at least this long on average, in milliseconds.
    pub min_mean_ms: f64,
}

/// One statement as pg_stat_statements recorded it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedStatement {
    /// pg_stat_statements' `queryid`.
    pub queryid: i64,
    /// The normalized text (`$1` for each constant).
    pub query: String,
    /// The role that ran it.
    pub user: Option<String>,
    /// How often it ran.
    pub calls: u64,
    /// Its total execution time, in milliseconds.
    pub total_time_ms: f64,
    /// Its mean execution time, in milliseconds.
    pub mean_time_ms: f64,
    /// Shared blocks read plus temporary blocks read and written.
    pub io_blocks: i64,
    /// Its share of the execution time of every statement recorded in the database, 0 to 1.
    pub share: f64,
}

/// The statements read, and what bounds their texts.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The statements, ranked.
    pub statements: Vec<RecordedStatement>,
    /// `track_activity_query_size` in bytes: a text this long was cut short.
    pub text_limit: usize,
}

/// The ranked statements of the current database. `{schema}` is the extension's schema.
const TOP_SQL: &str = "\
/* planlint */ WITH recorded AS ( \
    SELECT p.queryid, p.query, p.calls, r.rolname::text AS rolname, to_jsonb(p) AS j \
    FROM {schema}.pg_stat_statements p \
    LEFT JOIN pg_catalog.pg_roles r ON r.oid = p.userid \
    WHERE p.dbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) \
), measured AS ( \
    SELECT queryid, query, calls, rolname, \
           coalesce(j->>'total_exec_time', j->>'total_time')::float8 AS total, \
           coalesce(j->>'mean_exec_time', j->>'mean_time')::float8 AS mean, \
           coalesce((j->>'shared_blks_read')::int8, 0) + coalesce((j->>'temp_blks_read')::int8, 0) \
             + coalesce((j->>'temp_blks_written')::int8, 0) AS io \
    FROM recorded \
    WHERE coalesce((j->>'toplevel')::bool, true) \
      AND query !~ '^(/\\* planlint \\*/|-- catalog-snapshot\\.sql)' \
), shared AS ( \
    SELECT *, total / nullif(sum(total) OVER (), 0) AS share FROM measured \
) \
SELECT queryid, query, rolname, calls, total, mean, io, coalesce(share, 0) \
FROM shared \
WHERE ($1::text IS NULL OR rolname = $1) AND calls >= $2 AND mean >= $3 \
ORDER BY CASE $4 WHEN 'total' THEN total WHEN 'mean' THEN mean \
                 WHEN 'calls' THEN calls::float8 ELSE io::float8 END DESC, queryid \
LIMIT $5";

impl Session {
    /// The statements pg_stat_statements ranks highest in the connected database. Fails with
    /// what to do when the extension is missing, or not loaded.
    pub fn top_statements(&mut self, filter: &TopFilter) -> Result<Recorded, LiveError> {
        let target = self.target().to_owned();
        let filter = filter.clone();
        let outcome = self.read_only(2, move |transaction| {
            let row = transaction.query_one(
                "/* planlint */ SELECT (SELECT pg_catalog.quote_ident(n.nspname) FROM pg_catalog.pg_extension e \
                         JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace \
                         WHERE e.extname = 'pg_stat_statements'), \
                        pg_catalog.current_setting('shared_preload_libraries'), \
                        pg_catalog.current_database()::text, \
                        (SELECT setting::int8 FROM pg_catalog.pg_settings \
                         WHERE name = 'track_activity_query_size')",
                )?;
            let schema: Option<String> = row.try_get(0)?;
            let preloaded: String = row.try_get(1)?;
            let database: String = row.try_get(2)?;
            let text_limit = usize::try_from(row.try_get::<_, i64>(3)?).unwrap_or(1024);
            let loaded = preloaded
                .split(',')
                .any(|library| library.trim().trim_matches('"') == "pg_stat_statements");
            let Some(schema) = schema else {
                return Ok(Err(missing(&database, loaded)));
            };
            if !loaded {
                return Ok(Err(missing(&database, loaded)));
            }
            let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
            let min_calls = i64::try_from(filter.min_calls).unwrap_or(i64::MAX);
            let rows = transaction.query_typed(
                &TOP_SQL.replace("{schema}", &schema),
                &[
                    (&filter.user, Type::TEXT),
                    (&min_calls, Type::INT8),
                    (&filter.min_mean_ms, Type::FLOAT8),
                    (&filter.ranking.as_str(), Type::TEXT),
                    (&limit, Type::INT8),
                ],
            )?;
            let mut statements = Vec::with_capacity(rows.len());
            for row in rows {
                statements.push(RecordedStatement {
                    queryid: row.try_get::<_, Option<i64>>(0)?.unwrap_or_default(),
                    query: row.try_get::<_, Option<String>>(1)?.unwrap_or_default(),
                    user: row.try_get(2)?,
                    calls: u64::try_from(row.try_get::<_, i64>(3)?).unwrap_or(0),
                    total_time_ms: row.try_get(4)?,
                    mean_time_ms: row.try_get(5)?,
                    io_blocks: row.try_get(6)?,
                    share: row.try_get(7)?,
                });
            }
            Ok(Ok(Recorded {
                statements,
                text_limit,
            }))
        })?;
        outcome.map_err(|message| LiveError::setup(&target, message))
    }
}

/// What to do when pg_stat_statements cannot be read in `database`.
fn missing(database: &str, loaded: bool) -> String {
    if loaded {
        format!(
            "pg_stat_statements is loaded but not installed in database {database}: \
             CREATE EXTENSION pg_stat_statements"
        )
    } else {
        format!(
            "pg_stat_statements is not loaded: add it to shared_preload_libraries in \
             postgresql.conf and restart the server, then CREATE EXTENSION pg_stat_statements \
             in database {database}"
        )
    }
}
