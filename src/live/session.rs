//! One connection to a live server and the only statements planlint sends through it: every
//! EXPLAIN runs inside its own transaction, READ ONLY unless writes were allowed, with local
//! statement and lock timeouts, and is always rolled back.

use std::path::Path;
use std::time::Duration;

use postgres::types::{FromSql, Type};
use postgres::{Client, Config, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::conninfo::{ConnParams, SslMode};
use super::error::LiveError;
use super::tls::client_config;
use crate::sql::CheckedStatement;

/// Time allowed past `connect_timeout` for the login after the TCP connect.
const CONNECT_GRACE: Duration = Duration::from_secs(1);

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
    client: Client,
    options: SessionOptions,
    target: String,
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

impl Session {
    /// Connects with the given parameters; `home` locates `~/.postgresql/root.crt`.
    pub fn connect(
        params: &ConnParams,
        home: Option<&Path>,
        options: SessionOptions,
    ) -> Result<Self, LiveError> {
        let target = params.to_string();
        let mut config = Config::new();
        if params.host.starts_with('/') {
            config.host_path(&params.host);
        } else {
            config.host(&params.host);
        }
        config
            .port(params.port)
            .user(&params.user)
            .dbname(&params.dbname)
            .application_name(&params.application_name);
        if let Some(password) = &params.password {
            config.password(password);
        }
        if params.connect_timeout > 0 {
            config.connect_timeout(Duration::from_secs(params.connect_timeout));
        }
        config.ssl_mode(match params.sslmode {
            SslMode::Disable => postgres::config::SslMode::Disable,
            SslMode::Prefer => postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                postgres::config::SslMode::Require
            }
        });
        let tls =
            client_config(params, home).map_err(|message| LiveError::setup(&target, message))?;
        // The client's connect_timeout bounds only the TCP connect: a server that accepts and
        // then says nothing would hang the handshake forever, so the whole of it runs against a
        // deadline.
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let connected = match tls {
                None => config.connect(NoTls),
                Some(tls) => config.connect(MakeRustlsConnect::new(tls)),
            };
            let _ = sender.send(connected);
        });
        // connect_timeout=0 means no limit, as in libpq.
        let connected = if params.connect_timeout == 0 {
            receiver.recv().ok()
        } else {
            let deadline = Duration::from_secs(params.connect_timeout) + CONNECT_GRACE;
            receiver.recv_timeout(deadline).ok()
        };
        let client = match connected {
            Some(connected) => {
                connected.map_err(|error| LiveError::from_postgres(&target, &error))?
            }
            None => return Err(LiveError::no_answer(&target, params.connect_timeout)),
        };
        Ok(Self {
            client,
            options,
            target,
        })
    }

    /// `user@host:port/db`, for messages.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Whether the connection is gone (the server stopped, or the backend was terminated):
    /// nothing more can be sent through this session.
    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Runs EXPLAIN (FORMAT JSON) on one checked statement and returns the plan text.
    ///
    /// A statement with `$n` placeholders is prepared and explained as `EXECUTE` with `values`
    /// for the parameters (NULL where none is given): of its generic plan, as the application's
    /// cached statement runs it (start-up pruning shows), or of a custom plan for the values.
    pub fn explain(
        &mut self,
        statement: &CheckedStatement,
        mode: ExplainMode,
        values: &[String],
        plan: PlanChoice,
    ) -> Result<String, LiveError> {
        if mode == ExplainMode::Analyze {
            if let (Some(writes), false) = (&statement.writes, self.options.allow_writes) {
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
        let read_only = mode == ExplainMode::Plan || !self.options.allow_writes;
        let (statement_timeout, lock_timeout) = self.timeouts();
        let target = self.target.clone();
        let mut transaction = self
            .client
            .build_transaction()
            .read_only(read_only)
            .start()
            .map_err(|error| LiveError::from_postgres(&target, &error))?;
        transaction
            .batch_execute(&format!(
                "SET LOCAL statement_timeout = {statement_timeout}; SET LOCAL lock_timeout = {lock_timeout}"
            ))
            .map_err(|error| LiveError::from_postgres(&target, &error))?;
        let result = if statement.parameters == 0 {
            // The extended protocol takes exactly one statement: a second one is refused by the
            // server even if the check before ever let it through.
            query_plan(
                &mut transaction,
                &format!("EXPLAIN ({options}) {}", statement.text),
            )
        } else {
            explain_prepared(&mut transaction, statement, options, values, plan)
        };
        let rollback = transaction.rollback();
        let plan = result.map_err(|error| LiveError::from_postgres(&target, &error))?;
        rollback.map_err(|error| LiveError::from_postgres(&target, &error))?;
        Ok(plan)
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
        let (statement_timeout, lock_timeout) = self.timeouts();
        let target = self.target.clone();
        let explain = format!("EXPLAIN (FORMAT JSON) {}", statement.text);
        let run = |client: &mut Client| -> Result<Option<(String, String)>, postgres::Error> {
            let mut transaction = client.build_transaction().read_only(true).start()?;
            transaction.batch_execute(&format!(
                "SET LOCAL statement_timeout = {statement_timeout}; SET LOCAL lock_timeout = {lock_timeout}"
            ))?;
            let installed = !transaction
                .query_typed("SELECT 1 FROM pg_extension WHERE extname = 'hypopg'", &[])?
                .is_empty();
            if !installed {
                transaction.rollback()?;
                return Ok(None);
            }
            let before = query_plan(&mut transaction, &explain)?;
            transaction.query_typed(
                "SELECT hypopg_create_index($1)",
                &[(&index_sql, Type::TEXT)],
            )?;
            let after = query_plan(&mut transaction, &explain);
            transaction.query_typed("SELECT hypopg_reset()", &[])?;
            transaction.rollback()?;
            Ok(Some((before, after?)))
        };
        run(&mut self.client).map_err(|error| LiveError::from_postgres(&target, &error))
    }

    /// Runs the catalog snapshot query and returns its JSON document.
    pub fn catalog_snapshot(&mut self) -> Result<String, LiveError> {
        let (statement_timeout, lock_timeout) = self.timeouts();
        let target = self.target.clone();
        let run = |client: &mut Client| -> Result<String, postgres::Error> {
            let mut transaction = client.build_transaction().read_only(true).start()?;
            transaction.batch_execute(&format!(
                "SET LOCAL statement_timeout = {statement_timeout}; SET LOCAL lock_timeout = {lock_timeout}"
            ))?;
            let text = query_plan(&mut transaction, crate::catalog::SNAPSHOT_SQL)?;
            transaction.rollback()?;
            Ok(text)
        };
        run(&mut self.client).map_err(|error| LiveError::from_postgres(&target, &error))
    }

    fn timeouts(&self) -> (u128, u128) {
        (
            self.options.statement_timeout.as_millis(),
            self.options.lock_timeout.as_millis(),
        )
    }
}

/// Runs a query that returns one text or json value (EXPLAIN, the snapshot query).
fn query_plan(
    transaction: &mut postgres::Transaction<'_>,
    sql: &str,
) -> Result<String, postgres::Error> {
    let rows = transaction.query_typed(sql, &[])?;
    let mut text = String::new();
    for row in rows {
        text.push_str(&row.try_get::<_, JsonText>(0)?.0);
        text.push('\n');
    }
    Ok(text)
}

/// EXPLAIN EXECUTE of the prepared statement. PREPARE outlives a rollback, so the statement
/// is deallocated inside the transaction, also when EXPLAIN fails (a savepoint keeps the
/// transaction usable for that).
fn explain_prepared(
    transaction: &mut postgres::Transaction<'_>,
    statement: &CheckedStatement,
    options: &str,
    values: &[String],
    plan: PlanChoice,
) -> Result<String, postgres::Error> {
    transaction.batch_execute(match plan {
        PlanChoice::Generic => "SET LOCAL plan_cache_mode = force_generic_plan",
        PlanChoice::Custom => "SET LOCAL plan_cache_mode = force_custom_plan",
    })?;
    transaction.query_typed(
        &format!("PREPARE {PREPARED_NAME} AS {}", statement.text),
        &[],
    )?;
    transaction.batch_execute("SAVEPOINT planlint_explain")?;
    let arguments: Vec<String> = (0..statement.parameters)
        .map(|index| {
            values
                .get(index)
                .map_or_else(|| "NULL".to_owned(), |value| quote_literal(value))
        })
        .collect();
    let explained = query_plan(
        transaction,
        &format!(
            "EXPLAIN ({options}) EXECUTE {PREPARED_NAME}({})",
            arguments.join(", ")
        ),
    );
    if explained.is_err() {
        transaction.batch_execute("ROLLBACK TO SAVEPOINT planlint_explain")?;
    }
    transaction.batch_execute(&format!("DEALLOCATE {PREPARED_NAME}"))?;
    explained
}

/// `it's` -> `'it''s'`: a parameter value as an SQL literal of unknown type, which EXECUTE
/// casts to the parameter's type.
fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}
