//! One connection to a live server and the only statements planlint sends through it: every
//! EXPLAIN runs inside its own transaction, READ ONLY unless writes were allowed, with local
//! statement and lock timeouts, and is always rolled back. The server enforces those timeouts,
//! so planlint waits for each answer against a deadline of its own too.

use std::path::Path;
use std::time::Duration;

use tokio_postgres::types::{FromSql, Type};

use super::catalog_read::{self, relations_setting, CatalogRead};
use super::connect::{check_settings, connect, Connected};
use super::connection::{Answer, Connection, Exchange};
use super::conninfo::option_settings;
use super::conninfo::ConnParams;
use super::error::LiveError;
use super::side_effects::{names_to_resolve, side_effects, Callable, SideEffect, RESOLVE_SQL};
use super::worker::{NoAnswer, Pending, Worker};
use crate::sql::{Calls, CheckedStatement, TableName};

/// Time allowed past `statement_timeout` for the answer to a round trip: for the statements
/// around the EXPLAIN (BEGIN, SET LOCAL, ROLLBACK, ...) and the network. Only the server enforces
/// `statement_timeout`, so a server or a network that stops answering without closing the socket
/// (a frozen host, a partition, a stopped backend, a proxy that hangs) shows only by this deadline.
const ANSWER_GRACE: Duration = Duration::from_secs(10);

/// The name planlint's prepared statement takes for the length of one transaction.
const PREPARED_NAME: &str = "planlint_statement";

/// Limits and permissions of the session.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// `statement_timeout` of every statement planlint sends.
    pub statement_timeout: Duration,
    /// `lock_timeout` of every statement planlint sends.
    pub lock_timeout: Duration,
    /// Whether EXPLAIN ANALYZE may run statements that write (still rolled back).
    pub allow_writes: bool,
}

/// What EXPLAIN should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExplainMode {
    /// Plan only: nothing is executed.
    Plan,
    /// `EXPLAIN (ANALYZE, BUFFERS)`: the statement runs, inside a transaction rolled back.
    Analyze,
}

/// Which plan of a parameterised statement to explain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanChoice {
    /// The generic plan, as a cached prepared statement runs (`force_generic_plan`).
    Generic,
    /// A custom plan made for the given values, as if they were literals (`force_custom_plan`).
    Custom,
}

/// A connected session.
pub struct Session {
    /// The thread that owns the connection.
    worker: Worker,
    options: SessionOptions,
    target: String,
    notes: Vec<String>,
    /// `options` settings the server did not apply at start-up, set in each transaction.
    settings: Vec<(String, String)>,
}

/// EXPLAIN's result column (type `json`) as text, ready for planlint's parser.
struct JsonText(String);

impl<'a> FromSql<'a> for JsonText {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Self(std::str::from_utf8(raw)?.to_owned()))
    }

    fn accepts(ty: &Type) -> bool {
        matches!(*ty, Type::JSON | Type::TEXT | Type::VARCHAR)
    }
}

impl PlanChoice {
    /// The `SET LOCAL` that makes EXECUTE plan this way.
    fn setting(self) -> &'static str {
        match self {
            Self::Generic => "SET LOCAL plan_cache_mode = force_generic_plan",
            Self::Custom => "SET LOCAL plan_cache_mode = force_custom_plan",
        }
    }
}

impl Session {
    /// Connects with the given parameters (the first of their hosts that answers and that
    /// `target_session_attrs` accepts); `home` locates `~/.postgresql/root.crt`.
    pub fn connect(
        params: &ConnParams,
        home: Option<&Path>,
        options: SessionOptions,
    ) -> Result<Self, LiveError> {
        let Connected {
            client,
            target,
            mut notes,
        } = connect(params, home)?;
        let mut worker = Worker::start(client);
        // Which `options` took effect, against the same deadline as any round trip.
        let wanted = params.options().map(option_settings).unwrap_or_default();
        let deadline = (!options.statement_timeout.is_zero())
            .then(|| options.statement_timeout.saturating_add(ANSWER_GRACE));
        let (settings, checked) = worker
            .run(deadline, move |client| check_settings(client, &wanted))
            .map_err(|_| {
                LiveError::stopped_answering(&target, options.statement_timeout, ANSWER_GRACE)
            })?;
        notes.extend(checked);
        Ok(Self {
            worker,
            options,
            target,
            notes,
            settings,
        })
    }

    /// How the connection was made, one line each (TLS, hosts passed over, which `options`
    /// took effect): what `--verbose` prints.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// `user@host:port/db`, for messages.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Whether the connection is gone (the server stopped, the backend was terminated, or the
    /// server stopped answering and planlint gave up on it): nothing more can be sent through
    /// this session.
    pub fn is_closed(&self) -> bool {
        self.worker.is_closed()
    }

    /// Runs EXPLAIN (FORMAT JSON) on one checked statement and returns the plan text.
    ///
    /// A statement with `$n` placeholders is prepared and explained as `EXECUTE` with `values`
    /// for the parameters (NULL where none is given): of its generic plan, as the application's
    /// cached statement runs it (start-up pruning shows), or of a custom plan for the values.
    ///
    /// Under [`ExplainMode::Analyze`] the statement runs, so unless writes were allowed it is
    /// refused when it writes, or when it calls a function whose effects a read-only transaction
    /// and its rollback do not stop (see [`super::side_effects`]): those are found in the same
    /// transaction, from the statement and its `EXPLAIN (VERBOSE)` plan, before it runs.
    pub fn explain(
        &mut self,
        statement: &CheckedStatement,
        mode: ExplainMode,
        values: &[String],
        plan: PlanChoice,
    ) -> Result<String, LiveError> {
        let sent = self.send_explain(statement, mode, values, plan)?;
        self.explained(sent)
    }

    /// [`Session::explain`] in two halves: this one sends the EXPLAIN without waiting for its
    /// plan, which [`Session::explained`] reads. What the caller does in between (reading the
    /// plan of the statement before) overlaps with the server's work; EXPLAINs sent one after
    /// another run in that order, back to back, each in its own transaction.
    pub fn send_explain(
        &mut self,
        statement: &CheckedStatement,
        mode: ExplainMode,
        values: &[String],
        plan: PlanChoice,
    ) -> Result<SentExplain, LiveError> {
        let guarded = mode == ExplainMode::Analyze && !self.options.allow_writes;
        if guarded {
            if let Some(writes) = &statement.writes {
                return Err(LiveError::refused(format!(
                    "--analyze would run a statement that writes ({writes}); refused without --allow-writes \
                     (which runs it in a transaction that is rolled back)"
                )));
            }
        }
        let options = match mode {
            ExplainMode::Plan => "SETTINGS, FORMAT JSON",
            ExplainMode::Analyze => "ANALYZE, BUFFERS, SETTINGS, FORMAT JSON",
        };
        if mode == ExplainMode::Plan {
            return self.send_plan_explain(statement, options, values, plan);
        }
        let begin = self.begin(!self.options.allow_writes);
        let statement = statement.clone();
        let values = values.to_vec();
        // The plan that finds the functions, then the EXPLAIN ANALYZE.
        let statements = if guarded { 2 } else { 1 };
        let queued = self.send(statements, move |client| {
            rolled_back(client, &begin, |client| {
                with_target(client, &statement, &values, plan, |tx, target| {
                    if guarded {
                        let effects = inspect(tx, &statement.text, target)?;
                        if !effects.is_empty() {
                            return Ok(Err(effects));
                        }
                    }
                    // The extended protocol takes exactly one statement: a second one is refused
                    // by the server even if the check before ever let it through.
                    query_plan(tx, &format!("EXPLAIN ({options}) {target}")).map(Ok)
                })
            })
        })?;
        Ok(SentExplain(Sent::Alone(queued)))
    }

    /// The plan text of an EXPLAIN [`Session::send_explain`] sent, waited for against its
    /// deadline.
    pub fn explained(&mut self, sent: SentExplain) -> Result<String, LiveError> {
        let outcome = match sent.0 {
            Sent::Exchange(pending) => {
                let (limit, deadline) = self.deadline(1);
                let rows = match self.worker.wait(pending, deadline) {
                    Ok(rows) => rows,
                    Err(no_answer) => return Err(self.no_answer(no_answer, limit)),
                };
                return rows
                    .and_then(plan_text)
                    .map_err(|error| LiveError::from_postgres(&self.target, &error));
            }
            Sent::Alone(queued) => self.answer(queued)?,
        };
        outcome.map_err(|effects| {
            let listed: Vec<String> = effects.iter().map(ToString::to_string).collect();
            LiveError::refused(format!(
                "--analyze would call {}; refused without --allow-writes, which runs it anyway",
                listed.join("; ")
            ))
        })
    }

    /// Plain EXPLAIN of `statement`, which executes nothing, in one exchange with the server:
    /// the READ ONLY transaction opened, the statement prepared when it has parameters, the
    /// EXPLAIN, and the rollback (with the DEALLOCATE of the prepared statement, which a
    /// rollback does not undo) are sent at once, then their answers read (see
    /// [`Connection::pipelined`]). The server runs them in that order as it would one by one;
    /// when one fails, those after it in the transaction fail too and the rollback still runs.
    fn send_plan_explain(
        &mut self,
        statement: &CheckedStatement,
        options: &str,
        values: &[String],
        plan: PlanChoice,
    ) -> Result<SentExplain, LiveError> {
        let mut open = self.begin(true);
        let (prepare, target, close) = if statement.parameters == 0 {
            (None, statement.text.clone(), "ROLLBACK".to_owned())
        } else {
            open.push_str("; ");
            open.push_str(plan.setting());
            (
                Some(format!("PREPARE {PREPARED_NAME} AS {}", statement.text)),
                execute(statement, values),
                format!("ROLLBACK; DEALLOCATE {PREPARED_NAME}"),
            )
        };
        let exchange = Exchange {
            open,
            prepare,
            explain: format!("EXPLAIN ({options}) {target}"),
            close,
        };
        match self.worker.submit_exchange(exchange) {
            Ok(pending) => Ok(SentExplain(Sent::Exchange(pending))),
            Err(no_answer) => Err(self.no_answer(no_answer, Duration::ZERO)),
        }
    }

    /// The functions running `statement` would call whose effects a read-only transaction and
    /// its rollback do not stop, found as [`Session::explain`] finds them under `--analyze`,
    /// in a READ ONLY transaction that is rolled back: nothing is executed. With
    /// `--allow-writes`, this is what to tell the user before the statement runs.
    pub fn side_effects(
        &mut self,
        statement: &CheckedStatement,
        values: &[String],
        plan: PlanChoice,
    ) -> Result<Vec<SideEffect>, LiveError> {
        let statement = statement.clone();
        let values = values.to_vec();
        self.read_only(1, move |client| {
            with_target(client, &statement, &values, plan, |tx, target| {
                inspect(tx, &statement.text, target)
            })
        })
    }

    /// Plans `statement` before and after adding the hypothetical index `index_sql`
    /// (`CREATE INDEX ON table (columns)`) with HypoPG, in a READ ONLY transaction that is
    /// rolled back: no real index is built, nothing is written. `None` when HypoPG is not
    /// installed in the database.
    pub fn explain_with_hypothetical_index(
        &mut self,
        statement: &CheckedStatement,
        index_sql: &str,
    ) -> Result<Option<(String, String)>, LiveError> {
        let explain = format!("EXPLAIN (FORMAT JSON) {}", statement.text);
        let index_sql = index_sql.to_owned();
        // Two EXPLAINs, each of which may take up to statement_timeout.
        self.read_only(2, move |transaction| {
            let installed = !transaction
                .query_typed(
                    "/* planlint */ SELECT 1 FROM pg_extension WHERE extname = 'hypopg'",
                    &[],
                )?
                .is_empty();
            if !installed {
                return Ok(None);
            }
            let before = query_plan(transaction, &explain)?;
            transaction.query_typed(
                "/* planlint */ SELECT hypopg_create_index($1)",
                &[(&index_sql, Type::TEXT)],
            )?;
            let after = query_plan(transaction, &explain);
            transaction.query_typed("/* planlint */ SELECT hypopg_reset()", &[])?;
            Ok(Some((before, after?)))
        })
    }

    /// Reads the catalog snapshot: of the partition trees of `tables` (each one's topmost
    /// parent and everything under it), or of every relation. Relations another session holds
    /// or waits for an ACCESS EXCLUSIVE lock on are read without their texts (see
    /// [`super::catalog_read`]); should such a lock appear between that check and the read, the
    /// read waits `lock_timeout` and is tried again, up to three times.
    pub fn catalog_snapshot(
        &mut self,
        tables: Option<&[TableName]>,
    ) -> Result<CatalogRead, LiveError> {
        let relations = tables.map(relations_setting);
        let mut tries = 0;
        loop {
            tries += 1;
            let relations = relations.clone();
            // The lock list, the settings and the snapshot, each of which may take up to
            // statement_timeout.
            let read = self.read_only(3, move |transaction| {
                catalog_read::read(transaction, relations.as_deref())
            });
            match read {
                Err(error) if error.sqlstate() == Some("55P03") && tries < 3 => continue,
                other => return other,
            }
        }
    }

    /// Runs `work` in a READ ONLY transaction with the session's timeouts, always rolled back,
    /// against the deadline of `statements` statements (see [`Session::round_trip`]).
    pub(super) fn read_only<T, F>(&mut self, statements: u32, work: F) -> Result<T, LiveError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, tokio_postgres::Error> + Send + 'static,
    {
        let begin = self.begin(true);
        self.round_trip(statements, move |client| rolled_back(client, &begin, work))
    }

    /// What opens each of planlint's transactions, in one round trip: `START TRANSACTION`
    /// (READ ONLY unless writes were allowed), the `options` settings the server did not apply
    /// at start-up, then `SET LOCAL` of both timeouts (so they win over the options').
    fn begin(&self, read_only: bool) -> String {
        let access = if read_only { "READ ONLY" } else { "READ WRITE" };
        format!("START TRANSACTION {access}; {}", self.set_timeouts())
    }

    /// The `options` settings the server did not apply at start-up, then the `SET LOCAL` of
    /// both timeouts.
    fn set_timeouts(&self) -> String {
        let mut batch = String::new();
        for (name, value) in &self.settings {
            batch.push_str(&format!(
                "/* planlint */ SELECT pg_catalog.set_config({}, {}, true); ",
                quote_literal(name),
                quote_literal(value)
            ));
        }
        batch.push_str(&format!(
            "SET LOCAL statement_timeout = {}; SET LOCAL lock_timeout = {}",
            self.options.statement_timeout.as_millis(),
            self.options.lock_timeout.as_millis()
        ));
        batch
    }

    /// Runs `work` on the connection's thread and waits for its answer at most `statements`
    /// times `statement_timeout` (the statements of `work` that may each run that long) plus
    /// [`ANSWER_GRACE`]; without a deadline when the timeout is 0, which means none, as in
    /// PostgreSQL. Past the deadline the connection is given up to its thread, still blocked on
    /// it, and the session is closed.
    fn round_trip<T, F>(&mut self, statements: u32, work: F) -> Result<T, LiveError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, tokio_postgres::Error> + Send + 'static,
    {
        let queued = self.send(statements, work)?;
        self.answer(queued)
    }

    /// The first half of [`Session::round_trip`]: queues `work` on the connection's thread.
    fn send<T, F>(&mut self, statements: u32, work: F) -> Result<Queued<T>, LiveError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, tokio_postgres::Error> + Send + 'static,
    {
        match self.worker.submit(work) {
            Ok(pending) => Ok(Queued {
                pending,
                statements,
            }),
            Err(no_answer) => Err(self.no_answer(no_answer, Duration::ZERO)),
        }
    }

    /// The second half of [`Session::round_trip`]: waits for the answer of what
    /// [`Session::send`] queued, against its deadline from now.
    fn answer<T>(&mut self, queued: Queued<T>) -> Result<T, LiveError> {
        let (limit, deadline) = self.deadline(queued.statements);
        match self.worker.wait(queued.pending, deadline) {
            Ok(result) => result.map_err(|error| LiveError::from_postgres(&self.target, &error)),
            Err(no_answer) => Err(self.no_answer(no_answer, limit)),
        }
    }

    /// `statements` times `statement_timeout`, and the deadline that gives: that plus
    /// [`ANSWER_GRACE`], or none when the timeout is 0.
    fn deadline(&self, statements: u32) -> (Duration, Option<Duration>) {
        let limit = self.options.statement_timeout.saturating_mul(statements);
        (
            limit,
            (!limit.is_zero()).then(|| limit.saturating_add(ANSWER_GRACE)),
        )
    }

    /// The error of a round trip that got no answer within `limit` and the grace.
    fn no_answer(&self, no_answer: NoAnswer, limit: Duration) -> LiveError {
        match no_answer {
            NoAnswer::TimedOut => LiveError::stopped_answering(&self.target, limit, ANSWER_GRACE),
            NoAnswer::GivenUp => LiveError::given_up(&self.target),
        }
    }
}

/// Work queued on the connection's thread, with the number of statements its deadline allows
/// for.
struct Queued<T> {
    pending: Pending<Result<T, tokio_postgres::Error>>,
    statements: u32,
}

/// An EXPLAIN sent by [`Session::send_explain`], whose plan [`Session::explained`] reads.
pub struct SentExplain(Sent);

/// How an EXPLAIN was sent.
enum Sent {
    /// A plain EXPLAIN, pipelined with those sent with it: its rows.
    Exchange(Pending<Answer>),
    /// An EXPLAIN ANALYZE, alone on the connection: the plan text, or the side effects that
    /// refused it.
    Alone(Queued<Result<String, Vec<SideEffect>>>),
}

/// Runs `work` in the transaction `begin` opens (see [`Session::begin`]: one round trip, not
/// one for `START TRANSACTION` and one for the settings), and always rolls it back: also when
/// `begin` or `work` fails, so that no connection, a pooler's above all, is left inside it.
fn rolled_back<T>(
    client: &mut Connection,
    begin: &str,
    work: impl FnOnce(&mut Connection) -> Result<T, tokio_postgres::Error>,
) -> Result<T, tokio_postgres::Error> {
    let result = client.batch_execute(begin).and_then(|()| work(client));
    let rollback = client.batch_execute("ROLLBACK");
    let result = result?;
    rollback?;
    Ok(result)
}

/// Runs a query that returns one text or json value (EXPLAIN, the snapshot query).
fn query_plan(transaction: &mut Connection, sql: &str) -> Result<String, tokio_postgres::Error> {
    plan_text(transaction.query_typed(sql, &[])?)
}

/// The text of EXPLAIN's rows, one line each.
fn plan_text(rows: Vec<tokio_postgres::Row>) -> Result<String, tokio_postgres::Error> {
    let mut text = String::new();
    for row in rows {
        text.push_str(&row.try_get::<_, JsonText>(0)?.0);
        text.push('\n');
    }
    Ok(text)
}

/// Runs `work` with the SQL that stands for the statement inside EXPLAIN: its text, or, for
/// a statement with parameters, `EXECUTE` of it prepared. PREPARE outlives a rollback, so the
/// prepared statement is deallocated inside the transaction, also when `work` fails (a savepoint
/// keeps the transaction usable for that).
fn with_target<T>(
    transaction: &mut Connection,
    statement: &CheckedStatement,
    values: &[String],
    plan: PlanChoice,
    work: impl FnOnce(&mut Connection, &str) -> Result<T, tokio_postgres::Error>,
) -> Result<T, tokio_postgres::Error> {
    if statement.parameters == 0 {
        return work(transaction, &statement.text);
    }
    transaction.batch_execute(plan.setting())?;
    transaction.query_typed(
        &format!("PREPARE {PREPARED_NAME} AS {}", statement.text),
        &[],
    )?;
    transaction.batch_execute("SAVEPOINT planlint_explain")?;
    let result = work(transaction, &execute(statement, values));
    if result.is_err() {
        transaction.batch_execute("ROLLBACK TO SAVEPOINT planlint_explain")?;
    }
    transaction.batch_execute(&format!("DEALLOCATE {PREPARED_NAME}"))?;
    result
}

/// `EXECUTE` of the prepared statement with `values` for its parameters, NULL where none is
/// given.
fn execute(statement: &CheckedStatement, values: &[String]) -> String {
    let arguments: Vec<String> = (0..statement.parameters)
        .map(|index| {
            values
                .get(index)
                .map_or_else(|| "NULL".to_owned(), |value| quote_literal(value))
        })
        .collect();
    format!("EXECUTE {PREPARED_NAME}({})", arguments.join(", "))
}

/// The side effects of running `target` (the statement, whose text is `text`): the functions
/// called in the text and in the `EXPLAIN (VERBOSE)` plan, where views are expanded, resolved
/// in the catalog through the session's search path. Plans, and runs nothing.
fn inspect(
    transaction: &mut Connection,
    text: &str,
    target: &str,
) -> Result<Vec<SideEffect>, tokio_postgres::Error> {
    let plan = query_plan(
        transaction,
        &format!("EXPLAIN (VERBOSE, FORMAT JSON) {target}"),
    )?;
    let mut calls = Calls::default();
    calls.scan(text);
    for expression in json_strings(&plan) {
        calls.scan(&expression);
    }
    let (functions, operators) = names_to_resolve(&calls);
    if functions.is_empty() && operators.is_empty() {
        return Ok(Vec::new());
    }
    let rows = transaction.query_typed(
        RESOLVE_SQL,
        &[
            (&functions, Type::TEXT_ARRAY),
            (&operators, Type::TEXT_ARRAY),
        ],
    )?;
    let mut catalog = Vec::with_capacity(rows.len());
    for row in rows {
        let count = |index: usize| -> Result<usize, tokio_postgres::Error> {
            Ok(usize::try_from(row.try_get::<_, i32>(index)?).unwrap_or(0))
        };
        catalog.push(Callable {
            operator: row.try_get(0)?,
            schema: row.try_get(1)?,
            name: row.try_get(2)?,
            volatility: row.try_get::<_, String>(3)?.chars().next().unwrap_or('v'),
            signature: row.try_get(4)?,
            arguments: (count(5)?, count(6)?),
            variadic: row.try_get(7)?,
            on_search_path: row.try_get(8)?,
        });
    }
    Ok(side_effects(&calls, &catalog))
}

/// The string values (and keys) of a JSON text, unescaped: the expressions of an EXPLAIN
/// plan, however deeply nested, read without building the document.
fn json_strings(json: &str) -> impl Iterator<Item = String> + '_ {
    let bytes = json.as_bytes();
    let mut position = 0;
    std::iter::from_fn(move || {
        let start = position + json.get(position..)?.find('"')?;
        let mut end = start + 1;
        while end < bytes.len() && bytes[end] != b'"' {
            end += if bytes[end] == b'\\' { 2 } else { 1 };
        }
        position = (end + 1).min(bytes.len());
        // A string EXPLAIN wrote is valid JSON; were it not, its raw text is still scanned.
        let literal = json.get(start..position).unwrap_or_default();
        Some(serde_json::from_str::<String>(literal).unwrap_or_else(|_| literal.to_owned()))
    })
}

/// `it's` -> `'it''s'`: a parameter value as an SQL literal of unknown type, which EXECUTE
/// casts to the parameter's type.
fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}
