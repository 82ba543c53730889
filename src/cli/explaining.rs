//! Explaining statements on a live server and analysing their plans, for `check`, `top` and
//! `analyze --db`: every statement explained first (sent ahead of reading the plans of those
//! before, so that the server's work and planlint's overlap), then the catalog read once for the
//! tables they name, then each plan analysed.

use std::collections::VecDeque;

use super::output::record_failure;
use super::progress::{Progress, ProgressChoice};
use super::statements::{SourcedStatement, UsedSuppressions};
use planlint::catalog::Catalog;
use planlint::live::{
    verify_fixes, ExplainMode, LiveError, LiveErrorKind, LockedRelation, PlanChoice, SentExplain,
    Session, VerifyNotes,
};
use planlint::plan::{parse_plans, Explain, ParseError};
use planlint::report::InputFailure;
use planlint::sql::{check_statement, referenced_tables, CheckedStatement, TableName};
use planlint::{analyze_generic, analyze_query, AnalyzedPlan};

/// How statements are explained and analysed: `check`'s options, or `top`'s.
pub struct Explaining<'a> {
    /// Plain EXPLAIN, or EXPLAIN ANALYZE.
    pub mode: ExplainMode,
    /// Values for `$1`, `$2`, ...
    pub params: &'a [String],
    /// Whether `--allow-writes` was given.
    pub allow_writes: bool,
    /// Whether to re-plan the fixes (`--verify`).
    pub verify: bool,
    /// The rules' settings.
    pub config: &'a planlint::rules::Config,
    /// When to show progress.
    pub progress: ProgressChoice,
    /// Whether the report is JSON (no progress then, unless asked for).
    pub json: bool,
}

/// Explains every statement, then reads the catalog once for the tables they name, then
/// analyses each plan (and verifies its fixes with `--verify`). Failures are recorded; a lost
/// connection ends the explaining and records the statements left.
pub fn explain_and_analyze(
    session: &mut Session,
    statements: &[SourcedStatement],
    how: &Explaining,
    used: &mut UsedSuppressions,
    failures: &mut Vec<InputFailure>,
) -> (Vec<AnalyzedPlan>, VerifyNotes) {
    let mode = how.mode;
    let config = how.config;
    // First every statement is explained, so that the catalog is read once, for the tables
    // their texts and plans name (a view's plan names the tables under it).
    let mut explained: Vec<(&SourcedStatement, CheckedStatement, StatementPlans)> = Vec::new();
    let mut progress = Progress::new(how.progress, statements.len(), "statements", how.json);
    // Statements are sent ahead of reading the plans of those before, so that the server's
    // work and planlint's overlap; their plans and failures are taken in order.
    let mut in_flight: VecDeque<InFlight> = VecDeque::new();
    let mut lost = false;
    for (position, statement) in statements.iter().enumerate() {
        progress.working_on(&statement.source);
        progress.step();
        let outcome = match check_statement(&statement.text) {
            Err(message) => Outcome::Refused(format!("{}: {message}", statement.source)),
            // With --allow-writes, the side effects are told before the statement runs, after
            // the statements before it have answered.
            Ok(checked) if how.allow_writes && mode == ExplainMode::Analyze => {
                lost = receive_all(
                    session,
                    &mut in_flight,
                    statements,
                    &mut explained,
                    failures,
                );
                if lost {
                    break;
                }
                match warn_of_side_effects(session, &checked, how.params, &statement.source) {
                    Ok(()) => Outcome::Sent(send(session, &checked, mode, how.params), checked),
                    Err(failure) => Outcome::Failed(failure),
                }
            }
            Ok(checked) => Outcome::Sent(send(session, &checked, mode, how.params), checked),
        };
        in_flight.push_back(InFlight { position, outcome });
        while in_flight.len() > AHEAD {
            let first = in_flight.pop_front().expect("more than AHEAD in flight");
            lost = receive(session, first, statements, &mut explained, failures);
            if lost {
                break;
            }
        }
        if lost {
            break;
        }
    }
    if !lost {
        receive_all(
            session,
            &mut in_flight,
            statements,
            &mut explained,
            failures,
        );
    }
    progress.working_on("reading the catalog, analysing");
    let catalog = if explained.is_empty() || session.is_closed() {
        None
    } else {
        read_catalog(session, &explained, failures)
    };

    let mut plans: Vec<AnalyzedPlan> = Vec::new();
    let mut notes = VerifyNotes::default();
    for (statement, checked, StatementPlans { generic, custom }) in explained {
        let custom = custom.as_ref().and_then(|plans| plans.first());
        for (index, explain) in generic.into_iter().enumerate() {
            let mut analysis = match custom {
                Some(custom) => analyze_generic(
                    &explain,
                    custom,
                    Some(&checked.text),
                    catalog.as_ref(),
                    config,
                ),
                None => analyze_query(&explain, &checked.text, catalog.as_ref(), config),
            };
            used.apply(statement, &mut analysis);
            if how.verify && !session.is_closed() {
                verify_fixes(
                    session,
                    &checked,
                    &mut analysis,
                    catalog.as_ref(),
                    &mut notes,
                );
            }
            plans.push(AnalyzedPlan {
                source: statement.source.clone(),
                location: statement.location.clone(),
                statement: Some(checked.text.clone()),
                plan_number: index + 1,
                explain,
                analysis,
                workload: None,
            });
        }
    }
    progress.finish();
    (plans, notes)
}

/// The catalog facts of the partition trees of every table the statements' texts and plans
/// name, read once. Relations locked by another session are named on stderr (their texts were
/// not read); when the read fails, the failure is recorded and the verdicts are not exact.
fn read_catalog(
    session: &mut Session,
    explained: &[(&SourcedStatement, CheckedStatement, StatementPlans)],
    failures: &mut Vec<InputFailure>,
) -> Option<Catalog> {
    let mut tables: Vec<TableName> = Vec::new();
    for (_, checked, plans) in explained {
        tables.extend(referenced_tables(&checked.text).unwrap_or_default());
        for explain in plans.generic.iter().chain(plans.custom.iter().flatten()) {
            let graph = &explain.graph;
            tables.extend(graph.ids().filter_map(|id| {
                let node = graph.node(id);
                let name = node.relation_name.as_deref()?;
                Some((node.schema.as_deref().map(str::to_owned), name.to_owned()))
            }));
        }
    }
    let target = session.target().to_owned();
    match session.catalog_snapshot(Some(&tables)) {
        Ok(read) => match Catalog::from_live_json(&target, &read.text) {
            Ok(catalog) => {
                warn_of_locked(&catalog, &read.locked);
                Some(catalog)
            }
            Err(error) => {
                record_failure(failures, &target, "catalog", format!("catalog: {error}"));
                None
            }
        },
        Err(error) => {
            let message = format!("catalog facts unavailable, verdicts are not exact: {error}");
            record_live_failure(failures, session, &target, "catalog", message, &[]);
            None
        }
    }
}

/// Names on stderr the relations of `catalog` whose texts were not read for a lock.
pub fn warn_of_locked(catalog: &Catalog, locked: &[LockedRelation]) {
    let mut named = std::collections::BTreeSet::new();
    for relation in locked {
        if catalog
            .find(Some(&relation.schema), &relation.name)
            .is_some()
            && named.insert((&relation.schema, &relation.name))
        {
            eprintln!("planlint: warning: catalog: {relation}");
        }
    }
}

/// Records a failure of `source` that came from the server. When it left the connection gone
/// (the server stopped, or the backend was terminated), the statements of `rest` cannot be
/// checked: they go in the report as such, and the one line on stderr says how many there are
/// rather than repeating the loss for each. Returns whether the connection is gone.
fn record_live_failure(
    failures: &mut Vec<InputFailure>,
    session: &Session,
    source: &str,
    kind: &str,
    mut message: String,
    rest: &[SourcedStatement],
) -> bool {
    let lost = session.is_closed();
    match (lost, rest.len()) {
        (false, _) | (true, 0) => {}
        (true, 1) => message.push_str("; the connection is gone: 1 more statement not checked"),
        (true, more) => message.push_str(&format!(
            "; the connection is gone: {more} more statements not checked"
        )),
    }
    record_failure(failures, source, kind, message);
    if lost {
        failures.extend(rest.iter().map(|statement| InputFailure {
            source: statement.source.clone(),
            message: format!(
                "{}: not checked: the connection to {} was lost at {source}",
                statement.source,
                session.target()
            ),
            kind: "connection".to_owned(),
        }));
    }
    lost
}

/// The plans of one statement: generic (or the only) plans, and custom plans when made.
struct StatementPlans {
    generic: Vec<Explain>,
    custom: Option<Vec<Explain>>,
}

/// A failure with its `kind` for the report.
type Failure = (&'static str, String);

/// How many statements are sent ahead of the one whose plans are read.
const AHEAD: usize = 16;

/// A statement taken in turn, and what [`receive`] needs to read its plans.
struct InFlight {
    /// Its place among the statements.
    position: usize,
    outcome: Outcome,
}

/// What became of a statement when its turn came.
enum Outcome {
    /// Refused before anything was sent: why.
    Refused(String),
    /// Its side effects could not be read.
    Failed(Failure),
    /// Its EXPLAINs were sent, or could not be.
    Sent(Result<SentPlans, Failure>, CheckedStatement),
}

/// The EXPLAINs sent for one statement: its generic plan, and, for a parameterised statement
/// with values, a custom plan for them, which shows whether it prunes only when the values are
/// literals.
struct SentPlans {
    generic: SentExplain,
    custom: Option<SentExplain>,
}

/// Sends the EXPLAINs of `statement` (see [`SentPlans`]) without waiting for them.
fn send(
    session: &mut Session,
    statement: &CheckedStatement,
    mode: ExplainMode,
    values: &[String],
) -> Result<SentPlans, Failure> {
    let generic = session
        .send_explain(statement, mode, values, PlanChoice::Generic)
        .map_err(live_failure)?;
    let custom = if statement.parameters > 0 && !values.is_empty() {
        Some(
            session
                .send_explain(statement, ExplainMode::Plan, values, PlanChoice::Custom)
                .map_err(live_failure)?,
        )
    } else {
        None
    };
    Ok(SentPlans { generic, custom })
}

/// [`receive`] of every statement in flight, in order, until the connection is found gone.
/// Returns whether it is.
fn receive_all<'s>(
    session: &mut Session,
    in_flight: &mut VecDeque<InFlight>,
    statements: &'s [SourcedStatement],
    explained: &mut Vec<(&'s SourcedStatement, CheckedStatement, StatementPlans)>,
    failures: &mut Vec<InputFailure>,
) -> bool {
    while let Some(first) = in_flight.pop_front() {
        if receive(session, first, statements, explained, failures) {
            in_flight.clear();
            return true;
        }
    }
    false
}

/// Reads the plans of a statement in flight into `explained`, or records its failure. Returns
/// whether the connection is gone, the statements after it then recorded as not checked.
fn receive<'s>(
    session: &mut Session,
    in_flight: InFlight,
    statements: &'s [SourcedStatement],
    explained: &mut Vec<(&'s SourcedStatement, CheckedStatement, StatementPlans)>,
    failures: &mut Vec<InputFailure>,
) -> bool {
    let statement = &statements[in_flight.position];
    let failed = |session: &Session, failures: &mut Vec<InputFailure>, (kind, message)| {
        let message = format!("{}: {message}", statement.source);
        let rest = &statements[in_flight.position + 1..];
        record_live_failure(failures, session, &statement.source, kind, message, rest)
    };
    let (sent, checked) = match in_flight.outcome {
        Outcome::Refused(message) => {
            record_failure(failures, &statement.source, "refused", message);
            return false;
        }
        Outcome::Failed(failure) => return failed(session, failures, failure),
        Outcome::Sent(sent, checked) => (sent, checked),
    };
    let plans = sent.and_then(|sent| {
        let unreadable = |error: ParseError| {
            (
                "not-a-plan",
                format!("the server's plan could not be read: {error}"),
            )
        };
        // Both are waited for, so that the custom plan's answer is not left for the statement
        // after to wait behind; a failure of the generic plan is told first.
        let generic = session.explained(sent.generic).map_err(live_failure);
        let custom = sent
            .custom
            .map(|custom| session.explained(custom).map_err(live_failure));
        let generic = parse_plans(&generic?).map_err(unreadable)?;
        let custom = match custom {
            Some(text) => Some(parse_plans(&text?).map_err(unreadable)?),
            None => None,
        };
        Ok(StatementPlans { generic, custom })
    });
    match plans {
        Ok(plans) => {
            explained.push((statement, checked, plans));
            false
        }
        Err(failure) => failed(session, failures, failure),
    }
}

/// A live error as a failure of the report.
fn live_failure(error: LiveError) -> Failure {
    (kind_name(error.kind()), error.to_string())
}

/// With `--allow-writes`, says on stderr, before the statement runs, which functions it calls
/// whose effects the rollback does not undo.
fn warn_of_side_effects(
    session: &mut Session,
    statement: &CheckedStatement,
    values: &[String],
    source: &str,
) -> Result<(), Failure> {
    let effects = session
        .side_effects(statement, values, PlanChoice::Generic)
        .map_err(live_failure)?;
    if !effects.is_empty() {
        let listed: Vec<String> = effects.iter().map(ToString::to_string).collect();
        eprintln!(
            "planlint: warning: {source}: --allow-writes runs {}",
            listed.join("; ")
        );
    }
    Ok(())
}

/// The `kind` of a live error in the JSON report.
fn kind_name(kind: LiveErrorKind) -> &'static str {
    match kind {
        LiveErrorKind::Timeout => "timeout",
        LiveErrorKind::Refused => "refused",
        LiveErrorKind::Permission => "permission",
        LiveErrorKind::Lost | LiveErrorKind::Connect | LiveErrorKind::Setup => "connection",
        LiveErrorKind::Statement => "statement",
    }
}
