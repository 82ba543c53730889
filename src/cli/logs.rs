//! `planlint analyze postgresql.log`: each plan of a server log analysed with its logged
//! statement, carrying what the log measured of it.

use planlint::catalog::Catalog;
use planlint::rules::Config;
use planlint::source::log::{LogRead, LoggedStatement};
use planlint::{analyze, analyze_query, AnalyzedPlan, SourceLocation};

/// Analyses the plans of `log` (already the longest total time first) into `plans`, and
/// returns the statements it logged without a plan, with the log's name, for `--db` to explain.
pub fn analyze_log(
    log: LogRead,
    catalog: Option<&Catalog>,
    config: &Config,
    plans: &mut Vec<AnalyzedPlan>,
) -> (String, Vec<LoggedStatement>) {
    for warning in &log.warnings {
        eprintln!("planlint: warning: {warning}");
    }
    for (index, logged) in log.plans.into_iter().enumerate() {
        let statement = logged.workload.query.clone();
        let analysis = match &statement {
            Some(query) => analyze_query(&logged.explain, query, catalog, config),
            None => analyze(&logged.explain, catalog, config),
        };
        plans.push(AnalyzedPlan {
            source: log.name.clone(),
            location: logged.workload.log_line.map(|line| SourceLocation {
                path: log.name.clone(),
                line,
                column: 1,
            }),
            plan_number: index + 1,
            statement,
            explain: logged.explain,
            analysis,
            workload: Some(logged.workload),
        });
    }
    (log.name, log.unplanned)
}

/// Says on stderr how many statements the logs held without a plan, which `--db` would explain.
pub fn note_unplanned(unplanned: &[(String, Vec<LoggedStatement>)]) {
    for (name, statements) in unplanned {
        if statements.is_empty() {
            continue;
        }
        let executions: u64 = statements
            .iter()
            .filter_map(|statement| statement.workload.calls)
            .sum();
        eprintln!(
            "planlint: note: {name}: {executions} executions of {} statements logged without a \
             plan (log_min_duration_statement); `--db` would explain them",
            statements.len()
        );
    }
}

/// Explains on the live database the statements the logs held without a plan, and analyses
/// them with what the log measured of them, into `plans`; failures go to `failures`.
#[cfg(feature = "live")]
pub fn explain_unplanned(
    url: &str,
    unplanned: Vec<(String, Vec<LoggedStatement>)>,
    args: &super::args::ReportArgs,
    config: &Config,
    plans: &mut Vec<AnalyzedPlan>,
    failures: &mut Vec<planlint::report::InputFailure>,
) -> Result<(), String> {
    use super::check::connect_to;
    use super::explaining::{explain_and_analyze, Explaining};
    use super::statements::SourcedStatement;
    use super::statements::UsedSuppressions;
    use planlint::live::ExplainMode;
    use std::collections::HashMap;

    let mut statements = Vec::new();
    let mut workloads = HashMap::new();
    let (mut writes, mut utility) = (0, 0);
    for (name, logged) in unplanned {
        for statement in logged {
            let Ok(checked) = planlint::sql::check_statement(&statement.text) else {
                utility += 1;
                continue;
            };
            if checked.writes.is_some() {
                writes += 1;
                continue;
            }
            let line = statement.workload.log_line.unwrap_or(1);
            let source = format!("{name}:{line}");
            workloads.insert(source.clone(), statement.workload);
            statements.push(SourcedStatement {
                source,
                location: Some(SourceLocation {
                    path: name.clone(),
                    line,
                    column: 1,
                }),
                text: statement.text,
                suppressions: Vec::new(),
            });
        }
    }
    if writes + utility > 0 {
        eprintln!(
            "planlint: note: of the statements logged without a plan, {utility} are not \
             explainable (SET, COPY, DDL...) and {writes} write; they are not explained"
        );
    }
    if statements.is_empty() {
        return Ok(());
    }
    let db = super::args::DbArgs {
        db: Some(url.to_owned()),
        timeout: std::time::Duration::from_secs(30),
        lock_timeout: std::time::Duration::from_secs(5),
        verbose: false,
    };
    let mut session = connect_to(&db, false, None, None)?;
    let how = Explaining {
        mode: ExplainMode::Plan,
        params: &[],
        allow_writes: false,
        verify: false,
        config,
        progress: args.progress,
        json: matches!(args.format, super::args::Format::Json),
    };
    let mut used = UsedSuppressions::default();
    let (explained, _) = explain_and_analyze(&mut session, &statements, &how, &mut used, failures);
    for mut plan in explained {
        plan.workload = workloads.remove(&plan.source);
        plans.push(plan);
    }
    Ok(())
}
