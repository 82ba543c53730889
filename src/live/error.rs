//! Errors of live mode, each one line naming the server or statement and what went wrong, and
//! never a password (planlint never puts it in a message, and the server never sends it).

use std::fmt;
use std::time::Duration;

/// What kind of failure, for the report and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveErrorKind {
    /// Connection parameters or TLS setup are wrong.
    Setup,
    /// The server could not be reached, or refused the connection or the login.
    Connect,
    /// The statement ran past `statement_timeout` or `lock_timeout`.
    Timeout,
    /// The connection broke while a statement ran, or the server stopped answering.
    Lost,
    /// The server refused for lack of a privilege.
    Permission,
    /// planlint refused to send the statement, or the server refused a write in a read-only
    /// transaction.
    Refused,
    /// The statement failed for another reason (a syntax error, a missing table, ...).
    Statement,
}

/// A live-mode error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveError {
    kind: LiveErrorKind,
    message: String,
    /// The server's SQLSTATE, when the server reported the error.
    sqlstate: Option<String>,
}

impl LiveError {
    /// A bad connection setting or TLS file.
    pub fn setup(target: &str, message: String) -> Self {
        Self {
            kind: LiveErrorKind::Setup,
            message: format!("{target}: {message}"),
            sqlstate: None,
        }
    }

    /// A server that accepted the connection and never answered.
    pub fn no_answer(target: &str, connect_timeout: u64) -> Self {
        Self {
            kind: LiveErrorKind::Connect,
            message: format!(
                "{target}: no answer from the server within connect_timeout ({connect_timeout} s); is it a PostgreSQL server?"
            ),
            sqlstate: None,
        }
    }

    /// None of several hosts could be used: each host's failure (or why it was passed over),
    /// in the order tried. A connection failure when any host failed to connect, else (every
    /// server answered, none was what `target_session_attrs` asks) a refusal.
    pub fn no_server(
        target: &str,
        attrs: &str,
        reasons: &[String],
        mut kinds: impl Iterator<Item = LiveErrorKind>,
    ) -> Self {
        let kind = kinds.next().unwrap_or(LiveErrorKind::Connect);
        let reasons: Vec<&str> = reasons
            .iter()
            .map(|reason| reason.strip_suffix("; next host").unwrap_or(reason))
            .collect();
        Self {
            kind,
            message: format!(
                "{target}: no host could be used (target_session_attrs={attrs}): {}",
                reasons.join("; ")
            ),
            sqlstate: None,
        }
    }

    /// A server that did not answer a round trip within `limit` (the statement timeout it
    /// enforces itself, for each statement that may run that long) plus `grace`: planlint gave
    /// the connection up.
    pub fn stopped_answering(target: &str, limit: Duration, grace: Duration) -> Self {
        Self {
            kind: LiveErrorKind::Lost,
            message: format!(
                "{target}: no answer from the server within {limit:?} + {grace:?} (statement_timeout is the server's; the server or the network stopped answering)"
            ),
            sqlstate: None,
        }
    }

    /// A session whose connection was given up earlier, when the server stopped answering.
    pub fn given_up(target: &str) -> Self {
        Self {
            kind: LiveErrorKind::Lost,
            message: format!(
                "{target}: the connection was given up when the server stopped answering"
            ),
            sqlstate: None,
        }
    }

    /// A statement planlint will not send.
    pub fn refused(message: String) -> Self {
        Self {
            kind: LiveErrorKind::Refused,
            message,
            sqlstate: None,
        }
    }

    /// An error of the postgres client or the server.
    pub fn from_postgres(target: &str, error: &tokio_postgres::Error) -> Self {
        let one_line = |text: String| text.split_whitespace().collect::<Vec<_>>().join(" ");
        if let Some(db) = error.as_db_error() {
            let code = db.code().code();
            let kind = match code {
                "57014" | "55P03" => LiveErrorKind::Timeout,
                "42501" => LiveErrorKind::Permission,
                "25006" => LiveErrorKind::Refused,
                "28000" | "28P01" | "3D000" | "53300" | "57P03" => LiveErrorKind::Connect,
                "57P01" | "57P02" => LiveErrorKind::Lost,
                _ => LiveErrorKind::Statement,
            };
            let hint = match code {
                "25006" => " (the statement writes, perhaps through a function; --allow-writes runs it in a transaction that is rolled back)",
                "57014" => " (raise --timeout to wait longer)",
                "57P01" => " (the server is shutting down, or an administrator ended planlint's session)",
                _ => "",
            };
            return Self {
                kind,
                message: one_line(format!(
                    "{}: {} [SQLSTATE {code}]{hint}",
                    target,
                    db.message()
                )),
                sqlstate: Some(code.to_owned()),
            };
        }
        // A closed socket or a reset connection mid-query both mean the session is gone; which
        // one the client sees first depends on timing.
        if error.is_closed()
            || error
                .to_string()
                .starts_with("error communicating with the server")
        {
            return Self {
                kind: LiveErrorKind::Lost,
                message: format!(
                    "{target}: the server closed the connection (it stopped, or the backend was terminated)"
                ),
                sqlstate: None,
            };
        }
        let kind = LiveErrorKind::Connect;
        let mut text = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            let cause_text = cause.to_string();
            if !text.contains(&cause_text) {
                text.push_str(": ");
                text.push_str(&cause_text);
            }
            source = cause.source();
        }
        Self {
            kind,
            message: one_line(format!("{target}: {text}")),
            sqlstate: None,
        }
    }

    /// What kind of failure it is.
    pub fn kind(&self) -> LiveErrorKind {
        self.kind
    }

    /// The server's SQLSTATE, when the server reported the error.
    pub fn sqlstate(&self) -> Option<&str> {
        self.sqlstate.as_deref()
    }
}

impl fmt::Display for LiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LiveError {}
