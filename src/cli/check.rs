//! `planlint check`: explain statements on a live database and analyse their plans.

use super::args::CheckArgs;
use super::explaining::{explain_and_analyze, Explaining};
use super::output::{finish, record_failure, settings};
use super::statements::{collect, Collected, UsedSuppressions};
use super::{print_error, EXIT_ERROR};
use planlint::live::{
    resolve, Environment, ExplainMode, ProcessEnvironment, Session, SessionOptions,
};
use planlint::report::InputFailure;

/// Runs the check and returns the exit code.
pub fn run(args: &CheckArgs) -> u8 {
    let settings = match settings(&args.report) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    let config = &settings.rules;
    let Collected {
        statements,
        unreadable,
        suppressions,
    } = collect(&args.inputs, &args.files, &|path| settings.excludes(path));
    let mut used = UsedSuppressions::default();
    let mut failures: Vec<InputFailure> = Vec::new();
    for input in unreadable {
        record_failure(&mut failures, &input.source, "io", input.message);
    }
    if statements.is_empty() && failures.is_empty() {
        print_error("no statement to check: give SQL, -f FILE, or .sql files and directories");
        return EXIT_ERROR;
    }
    let url_env = settings
        .project
        .as_ref()
        .and_then(|project| project.database_url_env.as_deref());
    let mut session = match connect_with(&args.db, args.allow_writes, url_env) {
        Ok(session) => session,
        Err(message) => {
            print_error(&message);
            return EXIT_ERROR;
        }
    };
    let how = Explaining {
        mode: if args.analyze {
            ExplainMode::Analyze
        } else {
            ExplainMode::Plan
        },
        params: &args.params,
        allow_writes: args.allow_writes,
        verify: args.verify,
        config,
        progress: args.report.progress,
        json: matches!(args.report.format, super::args::Format::Json),
    };
    let (mut plans, notes) =
        explain_and_analyze(&mut session, &statements, &how, &mut used, &mut failures);
    used.report_unused(&suppressions);
    if notes.hypopg_missing {
        eprintln!(
            "planlint: note: HypoPG is not installed in {}, so suggested indexes were not verified \
             (CREATE EXTENSION hypopg; package postgresql-NN-hypopg)",
            session.target()
        );
    }
    finish(&mut plans, &failures, &args.report, &settings)
}

/// Connects with the shared connection flags; without `--db`, `url_env` (planlint.toml's
/// `database.url_env`) names the variable that holds the connection string.
pub fn connect_with(
    db: &super::args::DbArgs,
    allow_writes: bool,
    url_env: Option<&str>,
) -> Result<Session, String> {
    connect_to(db, allow_writes, url_env, None)
}

/// [`connect_with`], to `database` instead of the one the connection string names.
pub fn connect_to(
    db: &super::args::DbArgs,
    allow_writes: bool,
    url_env: Option<&str>,
    database: Option<&str>,
) -> Result<Session, String> {
    let env = ProcessEnvironment;
    let from_variable = match (db.db.as_deref(), url_env) {
        (None, Some(variable)) => Some(env.var(variable).ok_or_else(|| {
            format!("planlint.toml takes the connection string from ${variable}, which is not set")
        })?),
        _ => None,
    };
    let params = resolve(db.db.as_deref().or(from_variable.as_deref()), &env)?;
    let params = match database {
        Some(database) => params.with_dbname(database),
        None => params,
    };
    let options = SessionOptions {
        statement_timeout: db.timeout,
        lock_timeout: db.lock_timeout,
        allow_writes,
    };
    if db.verbose {
        eprintln!("planlint: connecting with {}", params.describe());
    }
    let session = Session::connect(&params, env.home().as_deref(), options)
        .map_err(|error| error.to_string())?;
    if db.verbose {
        for note in session.notes() {
            eprintln!("planlint: {note}");
        }
    }
    Ok(session)
}
