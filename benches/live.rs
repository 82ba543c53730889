//! `cargo bench --bench live`: what live mode costs over the bare EXPLAIN round-trips, measured
//! side by side in one run against one server (machines are noisy; ratios are not).
//!
//! The same statements over the fixture schema (`scripts/fixtures-schema.sql`), three ways, each
//! round from a fresh connection:
//! - bare: one connection, `EXPLAIN (FORMAT JSON)` of each statement, one round trip each. The
//!   floor: no tool that explains on the server can do less.
//! - wrapped: one connection and exactly what planlint sends for each statement (a READ ONLY
//!   transaction opened with its `SET LOCAL` timeouts, `EXPLAIN (SETTINGS, FORMAT JSON)`,
//!   `ROLLBACK`), pipelined as planlint pipelines them (up to 32 statements' transactions
//!   written before their answers are read), without the analysis: the price of its safety, on
//!   its own.
//! - planlint: the `planlint check --format json` process over a file of the statements: start,
//!   connect, read the catalog once, explain, analyse, report. Run over the first statement
//!   alone too, which splits its time into a cost per run and a cost per statement; and over
//!   the statements with `$1` for their constants, as `planlint top` explains what
//!   pg_stat_statements records: generic plans, each prepared, explained and deallocated.
//!
//! The server comes from PLANLINT_BENCH_DATABASE_URL, else PLANLINT_TEST_DATABASE_URL (a
//! `key=value` conninfo or a URL, without TLS, so that the three go over the same transport);
//! `scripts/bench-live.sh` starts a throwaway one with the fixture schema and runs this. Without
//! either variable it says so and exits successfully.

use std::future::{poll_fn, Future};
use std::process::{Command, Stdio};
use std::task::Poll;
use std::time::{Duration, Instant};

use futures_util::future::join3;
use postgres::types::{FromSql, Type};
use postgres::{Client, NoTls};

/// Statements per run.
const STATEMENTS: usize = 300;

/// Measured rounds; the median is reported.
const ROUNDS: usize = 5;

/// A `json` result read as its length only: the bare round trips parse nothing.
struct Length(usize);

impl<'a> FromSql<'a> for Length {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Self(raw.len()))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::JSON
    }
}

/// The statements: lookups, range scans and unpruned scans over the fixture tables, each text
/// different, as an application's query files hold them; with `parameters`, each constant that
/// varies is `$1` instead, as pg_stat_statements records them for `planlint top`.
fn statements(parameters: bool) -> Vec<String> {
    (0..STATEMENTS)
        .map(|i| {
            let value = |literal: String| if parameters { "$1".to_owned() } else { literal };
            match i % 6 {
                0 => format!("SELECT * FROM orders WHERE customer_id = {}", value(i.to_string())),
                1 => format!(
                    "SELECT * FROM orders WHERE order_id = {}",
                    value((i * 1301 + 1).to_string())
                ),
                2 => format!(
                    "SELECT * FROM customers WHERE email = {}",
                    value(format!("'user{i}@example.com'"))
                ),
                3 => format!(
                    "SELECT sensor_id, avg(value) FROM measurements \
                     WHERE created_at >= '2024-03-01' AND created_at < {} GROUP BY sensor_id",
                    value(format!("'2024-03-{:02}'", i % 27 + 2))
                ),
                4 => format!(
                    "SELECT * FROM sessions WHERE user_id = {}",
                    value((i * 31 % 10000 + 1).to_string())
                ),
                _ => format!(
                    "SELECT c.email, o.amount FROM customers c JOIN orders o ON o.order_id = c.last_order_id \
                     WHERE c.id = {}",
                    value((i + 1).to_string())
                ),
            }
        })
        .collect()
}

/// The floor: EXPLAIN of each statement, one round trip each, over one connection.
fn bare(url: &str, statements: &[String]) -> usize {
    let mut client = Client::connect(url, NoTls).unwrap();
    statements
        .iter()
        .map(|statement| {
            let sql = format!("EXPLAIN (FORMAT JSON) {statement}");
            client.query_one(&sql, &[]).unwrap().get::<_, Length>(0).0
        })
        .sum()
}

/// What planlint sends for each statement, pipelined as planlint does, without the analysis.
fn wrapped(url: &str, statements: &[String]) -> usize {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (client, connection) = runtime
        .block_on(
            url.parse::<tokio_postgres::Config>()
                .unwrap()
                .connect(NoTls),
        )
        .unwrap();
    runtime.spawn(connection);
    let explains: Vec<String> = statements
        .iter()
        .map(|statement| format!("EXPLAIN (SETTINGS, FORMAT JSON) {statement}"))
        .collect();
    let transaction = |sql: &str| {
        let client = &client;
        let sql = sql.to_owned();
        Box::pin(async move {
            let (opened, rows, closed) = join3(
                client.batch_execute(
                    "START TRANSACTION READ ONLY; \
                     SET LOCAL statement_timeout = 30000; SET LOCAL lock_timeout = 5000",
                ),
                client.query_typed(&sql, &[]),
                client.batch_execute("ROLLBACK"),
            )
            .await;
            opened.unwrap();
            closed.unwrap();
            rows.unwrap()[0].get::<_, Length>(0).0
        })
    };
    runtime.block_on(async {
        let mut total = 0;
        for chunk in explains.chunks(32) {
            let mut running: Vec<_> = chunk.iter().map(|sql| transaction(sql)).collect();
            // Every transaction's statements written before the first answer is read.
            let mut early = Vec::new();
            poll_fn(|context| {
                early = running
                    .iter_mut()
                    .map(|future| match future.as_mut().poll(context) {
                        Poll::Ready(length) => Some(length),
                        Poll::Pending => None,
                    })
                    .collect();
                Poll::Ready(())
            })
            .await;
            for (future, early) in running.iter_mut().zip(std::mem::take(&mut early)) {
                total += match early {
                    Some(length) => length,
                    None => future.await,
                };
            }
        }
        total
    })
}

/// The `planlint check` process over the file of the statements.
fn planlint(url: &str, file: &std::path::Path) -> usize {
    let status = Command::new(env!("CARGO_BIN_EXE_planlint"))
        .args([
            "check",
            "--db",
            url,
            "--format",
            "json",
            "--fail-on",
            "never",
            "-f",
        ])
        .arg(file)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "planlint check failed: {status}");
    0
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let Some(url) = ["PLANLINT_BENCH_DATABASE_URL", "PLANLINT_TEST_DATABASE_URL"]
        .iter()
        .find_map(|variable| std::env::var(variable).ok().filter(|url| !url.is_empty()))
    else {
        println!(
            "live bench skipped: set PLANLINT_BENCH_DATABASE_URL to a server with the fixture schema \
             (scripts/fixtures-schema.sql), or run scripts/bench-live.sh, which starts one"
        );
        return;
    };
    let with_parameters = statements(true);
    let statements = statements(false);
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, statements: &[String]| {
        let file = dir.path().join(name);
        let text: String = statements.iter().map(|s| format!("{s};\n")).collect();
        std::fs::write(&file, text).unwrap();
        file
    };
    let file = write("statements.sql", &statements);
    let parameterised = write("parameterised.sql", &with_parameters);
    let single = dir.path().join("statement.sql");
    std::fs::write(&single, format!("{};\n", statements[0])).unwrap();

    // One round unmeasured: the server's caches warm up, the binary is read from disk.
    bare(&url, &statements);
    wrapped(&url, &statements);
    planlint(&url, &file);
    let (mut bares, mut wrappeds, mut processes, mut singles, mut generics) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        // Interleaved, so drift in the machine's speed hits all three alike.
        let started = Instant::now();
        std::hint::black_box(bare(&url, &statements));
        bares.push(started.elapsed());
        let started = Instant::now();
        std::hint::black_box(wrapped(&url, &statements));
        wrappeds.push(started.elapsed());
        let started = Instant::now();
        std::hint::black_box(planlint(&url, &file));
        processes.push(started.elapsed());
        let started = Instant::now();
        std::hint::black_box(planlint(&url, &single));
        singles.push(started.elapsed());
        let started = Instant::now();
        std::hint::black_box(planlint(&url, &parameterised));
        generics.push(started.elapsed());
    }
    let (bare, process, single) = (median(bares), median(processes), median(singles));
    println!("live mode over {STATEMENTS} statements, one connection each way (median of {ROUNDS} rounds):");
    let per_statement = |time: Duration| time.as_secs_f64() * 1e3 / STATEMENTS as f64;
    for (name, time) in [
        ("bare EXPLAIN round trips", bare),
        ("planlint's statements, no analysis", median(wrappeds)),
        ("planlint check --format json", process),
        ("the same with $1 (generic plans, as top)", median(generics)),
    ] {
        println!(
            "  {:<42} {:>9.1} ms  {:>6.3} ms/statement  {:>5.2}x bare  {:>+7.3} ms/statement over bare",
            name,
            time.as_secs_f64() * 1e3,
            per_statement(time),
            time.as_secs_f64() / bare.as_secs_f64(),
            per_statement(time) - per_statement(bare),
        );
    }
    let marginal = process.saturating_sub(single).as_secs_f64() * 1e3 / (STATEMENTS - 1) as f64;
    println!(
        "  planlint: {:.1} ms per run (start, connect, catalog; over 1 statement), then {:.3} ms per \
         statement, against {:.3} ms per bare round trip",
        single.as_secs_f64() * 1e3,
        marginal,
        per_statement(bare),
    );
}
