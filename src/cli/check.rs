//! `planlint check`: explain statements on a live database and analyse their plans.

use super::args::CheckArgs;
use super::output::{finish, record_failure, rule_config};
use super::statements::collect;
use super::{print_error, EXIT_ERROR};
use planlint::catalog::Catalog;
use planlint::live::{
    resolve, Environment, ExplainMode, LiveErrorKind, PlanChoice, ProcessEnvironment, Session,
    SessionOptions,
};
use planlint::plan::parse_plans;
use planlint::report::InputFailure;
use planlint::sql::check_statement;
use planlint::{analyze, analyze_generic, AnalyzedPlan};

/// Runs the check and returns the exit code.
pub fn run(args: &CheckArgs) -> u8 {
    let config = match rule_config(&args.report) {
        Ok(config) => config,
        Err(code) => return code,
    };
    let (statements, unreadable) = collect(&args.inputs, &args.files);
    let mut failures: Vec<InputFailure> = Vec::new();
    for input in unreadable {
        record_failure(&mut failures, &input.source, "io", input.message);
    }
    if statements.is_empty() && failures.is_empty() {
        print_error("no statement to check: give SQL, -f FILE, or .sql files and directories");
        return EXIT_ERROR;
    }
    let mut session = match connect(args) {
        Ok(session) => session,
        Err(message) => {
            print_error(&message);
            return EXIT_ERROR;
        }
    };
    // The catalog is read once per run, for every statement.
    let catalog = match session.catalog_snapshot() {
        Ok(text) => match Catalog::from_json(session.target(), &text) {
            Ok(catalog) => Some(catalog),
            Err(error) => {
                record_failure(
                    &mut failures,
                    session.target(),
                    "catalog",
                    format!("catalog: {error}"),
                );
                None
            }
        },
        Err(error) => {
            let message = format!("catalog facts unavailable, verdicts are not exact: {error}");
            record_failure(&mut failures, session.target(), "catalog", message);
            None
        }
    };

    let mode = if args.analyze {
        ExplainMode::Analyze
    } else {
        ExplainMode::Plan
    };
    let mut plans: Vec<AnalyzedPlan> = Vec::new();
    for statement in &statements {
        let checked = match check_statement(&statement.text) {
            Ok(checked) => checked,
            Err(message) => {
                record_failure(
                    &mut failures,
                    &statement.source,
                    "refused",
                    format!("{}: {message}", statement.source),
                );
                continue;
            }
        };
        let generic = session.explain(&checked, mode, &args.params, PlanChoice::Generic);
        // With parameter values, a custom plan for them shows whether the statement prunes
        // only when the values are literals.
        let custom = (checked.parameters > 0 && !args.params.is_empty()).then(|| {
            session.explain(
                &checked,
                ExplainMode::Plan,
                &args.params,
                PlanChoice::Custom,
            )
        });
        let plan_texts = match (generic, custom.transpose()) {
            (Ok(generic), Ok(custom)) => (generic, custom),
            (Err(error), _) | (_, Err(error)) => {
                let kind = match error.kind() {
                    LiveErrorKind::Timeout => "timeout",
                    LiveErrorKind::Refused => "refused",
                    LiveErrorKind::Permission => "permission",
                    LiveErrorKind::Lost | LiveErrorKind::Connect | LiveErrorKind::Setup => {
                        "connection"
                    }
                    LiveErrorKind::Statement => "statement",
                };
                record_failure(
                    &mut failures,
                    &statement.source,
                    kind,
                    format!("{}: {error}", statement.source),
                );
                continue;
            }
        };
        let parsed = parse_plans(&plan_texts.0).and_then(|generic| {
            let custom = plan_texts.1.as_deref().map(parse_plans).transpose()?;
            Ok((generic, custom))
        });
        match parsed {
            Ok((explains, custom)) => {
                let custom = custom.as_ref().and_then(|plans| plans.first());
                for (index, explain) in explains.into_iter().enumerate() {
                    let analysis = match custom {
                        Some(custom) => {
                            analyze_generic(&explain, custom, catalog.as_ref(), &config)
                        }
                        None => analyze(&explain, catalog.as_ref(), &config),
                    };
                    plans.push(AnalyzedPlan {
                        source: statement.source.clone(),
                        plan_number: index + 1,
                        explain,
                        analysis,
                    });
                }
            }
            Err(error) => record_failure(
                &mut failures,
                &statement.source,
                "not-a-plan",
                format!(
                    "{}: the server's plan could not be read: {error}",
                    statement.source
                ),
            ),
        }
    }
    finish(&plans, &failures, &args.report)
}

/// Connects as the flags and the environment say.
pub fn connect(args: &CheckArgs) -> Result<Session, String> {
    connect_with(&args.db, args.allow_writes)
}

/// Connects with the shared connection flags.
pub fn connect_with(db: &super::args::DbArgs, allow_writes: bool) -> Result<Session, String> {
    let env = ProcessEnvironment;
    let params = resolve(db.db.as_deref(), &env)?;
    let options = SessionOptions {
        statement_timeout: db.timeout,
        lock_timeout: db.lock_timeout,
        allow_writes,
    };
    Session::connect(&params, env.home().as_deref(), options).map_err(|error| error.to_string())
}
