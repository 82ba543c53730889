//! `planlint analyze postgresql.log`: each plan of a server log analysed with its logged
//! statement, carrying what the log measured of it.

use planlint::catalog::Catalog;
use planlint::rules::Config;
use planlint::source::log::LogRead;
use planlint::{analyze, analyze_query, AnalyzedPlan, SourceLocation};

/// Analyses the plans of `log` (already the longest total time first) into `plans`, and says
/// on stderr what the log held besides them.
pub fn analyze_log(
    log: LogRead,
    catalog: Option<&Catalog>,
    config: &Config,
    plans: &mut Vec<AnalyzedPlan>,
) {
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
    // The statements logged without a plan: what `--db` would explain on a live server (the
    // hook for it is `log.unplanned`, each with its text and times); counted otherwise.
    if !log.unplanned.is_empty() {
        let executions: u64 = log
            .unplanned
            .iter()
            .filter_map(|statement| statement.workload.calls)
            .sum();
        eprintln!(
            "planlint: note: {}: {executions} executions of {} statements logged without a \
             plan (log_min_duration_statement); `--db` would explain them",
            log.name,
            log.unplanned.len()
        );
    }
}
