//! Reaching a server as libpq does: each host of the connection string in turn, each within
//! `connect_timeout`, TLS as `sslmode` says (under `prefer`, a failed handshake is retried
//! without TLS), keeping the first server that `target_session_attrs` accepts; then checking
//! which `options` settings took effect.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use rustls::ClientConfig;
use tokio_postgres::types::Type;
use tokio_postgres::NoTls;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::connection::{ConnectError, Connection};
use super::conninfo::{ConnParams, Endpoint, SessionAttrs, SslMode};
use super::error::LiveError;
use super::tls::{client_config, TlsSetup};

/// Time allowed past `connect_timeout` for the login and the checks after the TCP connect.
const CONNECT_GRACE: Duration = Duration::from_secs(1);

/// A session's connection, with what `--verbose` tells about how it was made.
pub(super) struct Connected {
    /// The connection.
    pub client: Connection,
    /// `user@host:port/dbname` of the server kept.
    pub target: String,
    /// How the connection was made, one line each: TLS, the hosts passed over.
    pub notes: Vec<String>,
}

/// What planlint learns of a server right after the login, when `target_session_attrs` asks.
struct ServerState {
    in_recovery: bool,
    read_only: bool,
}

/// The outcome of one host.
enum Attempt {
    /// Connected, and the server is what `target_session_attrs` asks for.
    Kept(Box<Connection>, Vec<String>),
    /// Connected, but the server is not what was asked for: why.
    Passed(String),
}

/// Connects to the first host of `params` that answers and qualifies.
pub(super) fn connect(params: &ConnParams, home: Option<&Path>) -> Result<Connected, LiveError> {
    let all = params.to_string();
    let tls = client_config(params, home).map_err(|message| LiveError::setup(&all, message))?;
    let mut notes = vec![tls.describe(params.sslmode)];
    // prefer-standby: a standby among all the hosts first, else any of them.
    let passes = match params.target_session_attrs {
        SessionAttrs::PreferStandby => vec![SessionAttrs::Standby, SessionAttrs::Any],
        other => vec![other],
    };
    let mut failures: Vec<LiveError> = Vec::new();
    for wanted in &passes {
        for endpoint in &params.endpoints {
            let target = params.target_of(endpoint);
            match attempt(params, endpoint, &tls, *wanted) {
                Ok(Attempt::Kept(client, attempt_notes)) => {
                    notes.extend(attempt_notes);
                    notes.push(format!("connected to {target}"));
                    return Ok(Connected {
                        client: *client,
                        target,
                        notes,
                    });
                }
                Ok(Attempt::Passed(why)) => notes.push(format!("{target}: {why}; next host")),
                Err(error) => {
                    notes.push(format!("{error}; next host"));
                    failures.push(error);
                }
            }
        }
    }
    if params.endpoints.len() == 1 {
        if let Some(error) = failures.pop() {
            return Err(error);
        }
    }
    Err(LiveError::no_server(
        &all,
        params.target_session_attrs.as_str(),
        &notes[1..],
        failures.iter().map(LiveError::kind),
    ))
}

/// Connects to one host (retrying without TLS under `prefer` when the handshake fails) and
/// reads what `wanted` needs to know of the server, all within `connect_timeout`.
fn attempt(
    params: &ConnParams,
    endpoint: &Endpoint,
    tls: &TlsSetup,
    wanted: SessionAttrs,
) -> Result<Attempt, LiveError> {
    let target = params.target_of(endpoint);
    let mut config = params.config_for(endpoint);
    config.ssl_mode(match params.sslmode {
        SslMode::Disable => tokio_postgres::config::SslMode::Disable,
        SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
            tokio_postgres::config::SslMode::Require
        }
    });
    let rustls: Option<ClientConfig> = tls.config.clone();
    let fall_back = params.sslmode == SslMode::Prefer;
    // The client's connect_timeout bounds only the TCP connect: a server that accepts and then
    // says nothing would hang the handshake forever, so the whole of it runs against a deadline.
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut notes = Vec::new();
        let mut connected = match rustls {
            None => Connection::connect(&config, NoTls),
            Some(rustls) => Connection::connect(&config, MakeRustlsConnect::new(rustls)),
        };
        if fall_back {
            if let Err(ConnectError::Postgres(error)) = &connected {
                if is_tls_failure(error) {
                    notes.push(format!(
                        "the TLS handshake failed ({}); connected without TLS, as sslmode=prefer \
                         does (sslmode=require refuses instead)",
                        tls_cause(error)
                    ));
                    config.ssl_mode(tokio_postgres::config::SslMode::Disable);
                    connected = Connection::connect(&config, NoTls);
                }
            }
        }
        let outcome = connected.and_then(|mut client| {
            let state = if wanted == SessionAttrs::Any {
                None
            } else {
                Some(server_state(&mut client).map_err(ConnectError::Postgres)?)
            };
            Ok((client, state, notes))
        });
        let _ = sender.send(outcome);
    });
    let connected = if params.connect_timeout == 0 {
        receiver.recv().ok()
    } else {
        // Twice the time when a failed handshake may be retried without TLS.
        let tries = if fall_back { 2 } else { 1 };
        let deadline = Duration::from_secs(params.connect_timeout) * tries + CONNECT_GRACE;
        receiver.recv_timeout(deadline).ok()
    };
    let (client, state, notes) = match connected {
        Some(Ok(connected)) => connected,
        Some(Err(ConnectError::Postgres(error))) => {
            return Err(LiveError::from_postgres(&target, &error))
        }
        Some(Err(ConnectError::Runtime(error))) => {
            return Err(LiveError::setup(
                &target,
                format!("cannot start the connection's runtime: {error}"),
            ))
        }
        None => return Err(LiveError::no_answer(&target, params.connect_timeout)),
    };
    let Some(state) = state else {
        return Ok(Attempt::Kept(Box::new(client), notes));
    };
    let what = if state.in_recovery {
        "a hot standby"
    } else if state.read_only {
        "a primary with read-only sessions"
    } else {
        "a primary"
    };
    let qualifies = match wanted {
        SessionAttrs::Any => true,
        SessionAttrs::ReadWrite => !state.read_only,
        SessionAttrs::ReadOnly => state.read_only,
        SessionAttrs::Primary => !state.in_recovery,
        SessionAttrs::Standby | SessionAttrs::PreferStandby => state.in_recovery,
    };
    if qualifies {
        let mut notes = notes;
        notes.push(format!(
            "{target} is {what}, as target_session_attrs={} asks",
            params.target_session_attrs.as_str()
        ));
        Ok(Attempt::Kept(Box::new(client), notes))
    } else {
        Ok(Attempt::Passed(format!(
            "is {what}, not what target_session_attrs={} asks",
            wanted.as_str()
        )))
    }
}

/// Whether the server is in recovery and its sessions read-only: what libpq asks a server
/// before keeping it under `target_session_attrs`.
fn server_state(client: &mut Connection) -> Result<ServerState, tokio_postgres::Error> {
    let row = client.query_one(
        "/* planlint */ SELECT pg_catalog.pg_is_in_recovery(), \
         pg_catalog.current_setting('transaction_read_only') = 'on'",
    )?;
    Ok(ServerState {
        in_recovery: row.try_get(0)?,
        read_only: row.try_get(1)?,
    })
}

/// Whether the connection failed in the TLS handshake (rather than to connect, or to log in).
fn is_tls_failure(error: &tokio_postgres::Error) -> bool {
    error.as_db_error().is_none() && tls_source(error).is_some()
}

/// The TLS library's error behind a failed handshake.
fn tls_source(error: &tokio_postgres::Error) -> Option<&rustls::Error> {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            if let Some(tls) = io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            {
                return Some(tls);
            }
        }
        source = cause.source();
    }
    None
}

/// What went wrong in the handshake, for the note.
fn tls_cause(error: &tokio_postgres::Error) -> String {
    tls_source(error).map_or_else(|| error.to_string(), ToString::to_string)
}

/// Which `-c` settings of `options` the server applied at start-up, as notes; those it did not
/// (PgBouncer ignores start-up options) are returned, for planlint to set in each transaction.
/// Checked in a READ ONLY transaction that is rolled back: the setting's value now, against
/// the value the server makes of the one asked for.
pub(super) fn check_settings(
    client: &mut Connection,
    settings: &[(String, String)],
) -> (Vec<(String, String)>, Vec<String>) {
    let mut notes = Vec::new();
    if settings.is_empty() {
        return (Vec::new(), notes);
    }
    let names: Vec<&str> = settings.iter().map(|(name, _)| name.as_str()).collect();
    let values: Vec<&str> = settings.iter().map(|(_, value)| value.as_str()).collect();
    let checked = (|| -> Result<Vec<bool>, tokio_postgres::Error> {
        client.batch_execute("START TRANSACTION READ ONLY")?;
        let rows = client.query_typed(
            "/* planlint */ SELECT pg_catalog.current_setting(o.name, true) \
                    IS NOT DISTINCT FROM pg_catalog.set_config(o.name, o.value, true) \
             FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS o(name, value, n) \
             ORDER BY o.n",
            &[(&names, Type::TEXT_ARRAY), (&values, Type::TEXT_ARRAY)],
        );
        client.batch_execute("ROLLBACK")?;
        rows?.iter().map(|row| row.try_get(0)).collect()
    })();
    let listed = |pairs: &[&(String, String)]| {
        pairs
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match checked {
        Ok(in_effect) => {
            let (applied, missing): (Vec<_>, Vec<_>) = settings
                .iter()
                .zip(in_effect)
                .partition(|(_, in_effect)| *in_effect);
            let applied: Vec<&(String, String)> = applied.into_iter().map(|(s, _)| s).collect();
            let missing: Vec<&(String, String)> = missing.into_iter().map(|(s, _)| s).collect();
            if !applied.is_empty() {
                notes.push(format!(
                    "options: {} in effect (applied by the server at start-up)",
                    listed(&applied)
                ));
            }
            if !missing.is_empty() {
                notes.push(format!(
                    "options: {} not in effect (a pooler such as PgBouncer drops start-up \
                     options); planlint sets them in each of its transactions",
                    listed(&missing)
                ));
            }
            (missing.into_iter().cloned().collect(), notes)
        }
        Err(error) => {
            notes.push(format!(
                "options: could not check {} ({}); left as the server has them",
                listed(&settings.iter().collect::<Vec<_>>()),
                error
                    .as_db_error()
                    .map_or_else(|| error.to_string(), |db| db.message().to_owned())
            ));
            (Vec::new(), notes)
        }
    }
}
