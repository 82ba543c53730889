//! `planlint top`: the statements pg_stat_statements says cost the most, explained as the
//! application runs them (generic plans of their `$n` placeholders), analysed with the catalog
//! read once, and reported with their calls, times and share of the database's time.

use std::collections::{BTreeMap, HashMap};

use super::args::{TopArgs, TopOrder};
use super::check::connect_to;
use super::explaining::{explain_and_analyze, Explaining};
use super::output::{finish, settings};
use super::statements::SourcedStatement;
use super::statements::UsedSuppressions;
use super::{print_error, EXIT_ERROR};
use planlint::live::{ExplainMode, Ranking, RecordedStatement, TopFilter};
use planlint::report::InputFailure;
use planlint::sql::check_statement;
use planlint::workload::Workload;

/// Why a recorded statement is not explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Skip {
    /// SET, COPY, DDL, VACUUM...: nothing EXPLAIN takes.
    Utility,
    /// It writes, and `--allow-writes` was not given.
    Writes,
    /// Cut short at `track_activity_query_size`.
    Truncated,
    /// Its `IN` list was collapsed to one placeholder by pg_stat_statements (18).
    CollapsedList,
    /// The role may not read other roles' statement texts.
    Hidden,
}

impl Skip {
    /// How the summary note names statements skipped for this reason.
    fn describe(self, count: usize) -> String {
        let (one, many, why) = match self {
            Skip::Utility => (
                "utility statement",
                "utility statements",
                "SET, COPY, DDL...: nothing to plan",
            ),
            Skip::Writes => (
                "statement that writes",
                "statements that write",
                "--allow-writes plans them with plain EXPLAIN",
            ),
            Skip::Truncated => (
                "statement cut short",
                "statements cut short",
                "longer than track_activity_query_size",
            ),
            Skip::CollapsedList => (
                "statement whose IN list was collapsed",
                "statements whose IN lists were collapsed",
                "pg_stat_statements keeps one value of the list",
            ),
            Skip::Hidden => (
                "statement whose text is hidden",
                "statements whose texts are hidden",
                "grant pg_read_all_stats to see other roles' statements",
            ),
        };
        format!("{count} {} ({why})", if count == 1 { one } else { many })
    }
}

/// Whether and why a recorded statement is not to be explained.
fn skip(statement: &RecordedStatement, text_limit: usize, allow_writes: bool) -> Option<Skip> {
    let text = statement.query.trim();
    if text == "<insufficient privilege>" || text.is_empty() {
        return Some(Skip::Hidden);
    }
    if text.contains("/*, ... */") {
        return Some(Skip::CollapsedList);
    }
    match check_statement(text) {
        Ok(checked) if checked.writes.is_some() && !allow_writes => Some(Skip::Writes),
        Ok(_) => None,
        Err(_) if statement.query.len() + 1 >= text_limit => Some(Skip::Truncated),
        Err(_) => Some(Skip::Utility),
    }
}

/// Runs `top` and returns the exit code.
pub fn run(args: &TopArgs) -> u8 {
    let settings = match settings(&args.report) {
        Ok(settings) => settings,
        Err(code) => return code,
    };
    let url_env = settings
        .project
        .as_ref()
        .and_then(|project| project.database_url_env.as_deref());
    let mut session = match connect_to(
        &args.db,
        args.allow_writes,
        url_env,
        args.database.as_deref(),
    ) {
        Ok(session) => session,
        Err(message) => {
            print_error(&message);
            return EXIT_ERROR;
        }
    };
    let filter = TopFilter {
        limit: args.limit,
        ranking: match args.order {
            TopOrder::Total => Ranking::Total,
            TopOrder::Mean => Ranking::Mean,
            TopOrder::Calls => Ranking::Calls,
            TopOrder::Io => Ranking::Io,
        },
        user: args.user.clone(),
        min_calls: args.min_calls,
        min_mean_ms: args
            .min_mean
            .map_or(0.0, |mean| mean.as_secs_f64() * 1000.0),
    };
    let recorded = match session.top_statements(&filter) {
        Ok(recorded) => recorded,
        Err(error) => {
            print_error(&error.to_string());
            return EXIT_ERROR;
        }
    };
    let mut skipped: BTreeMap<Skip, usize> = BTreeMap::new();
    let mut statements = Vec::new();
    let mut workloads: HashMap<String, Workload> = HashMap::new();
    for statement in &recorded.statements {
        if let Some(reason) = skip(statement, recorded.text_limit, args.allow_writes) {
            *skipped.entry(reason).or_default() += 1;
            continue;
        }
        let source = format!("pg_stat_statements:{}", statement.queryid);
        workloads.insert(
            source.clone(),
            Workload {
                query: Some(statement.query.clone()),
                calls: Some(statement.calls),
                total_time_ms: Some(statement.total_time_ms),
                mean_time_ms: Some(statement.mean_time_ms),
                share: Some(statement.share),
                ..Workload::default()
            },
        );
        statements.push(SourcedStatement {
            source,
            location: None,
            text: statement.query.clone(),
            suppressions: Vec::new(),
        });
    }
    note_skipped(recorded.statements.len(), &skipped, session.target());
    if recorded.statements.is_empty() {
        print_error(&format!(
            "pg_stat_statements holds no statement of {} that matches: nothing to analyse",
            session.target()
        ));
        return EXIT_ERROR;
    }
    let how = Explaining {
        mode: ExplainMode::Plan,
        params: &[],
        allow_writes: args.allow_writes,
        verify: false,
        config: &settings.rules,
        progress: args.report.progress,
        json: matches!(args.report.format, super::args::Format::Json),
    };
    let mut failures: Vec<InputFailure> = Vec::new();
    let mut used = UsedSuppressions::default();
    let (mut plans, _) =
        explain_and_analyze(&mut session, &statements, &how, &mut used, &mut failures);
    for plan in &mut plans {
        plan.workload = workloads.get(&plan.source).cloned();
    }
    finish(&mut plans, &failures, &args.report, &settings)
}

/// Says on stderr how many of the statements read were skipped, and why.
fn note_skipped(read: usize, skipped: &BTreeMap<Skip, usize>, target: &str) {
    let total: usize = skipped.values().sum();
    if total == 0 {
        return;
    }
    let listed: Vec<String> = skipped
        .iter()
        .map(|(reason, count)| reason.describe(*count))
        .collect();
    eprintln!(
        "planlint: note: {total} of the {read} statements pg_stat_statements ranks highest in \
         {target} were not explained: {}",
        listed.join("; ")
    );
}
