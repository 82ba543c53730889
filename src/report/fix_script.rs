//! Every fix of a run as one psql script (`--fix-sql FILE`): the DDL whole, in report order,
//! each statement once, stopping at the first failure. A part of a partitioned index's DDL
//! leaves the parent index invalid, so the text report shows a long fix whole or not at all,
//! and points here.

use crate::AnalyzedPlan;

/// The script, or `None` when no finding has DDL or a rewrite.
pub fn render_fix_script(plans: &[AnalyzedPlan]) -> Option<String> {
    let mut script = String::from(
        "-- Fixes from planlint: run with `psql -f FILE`. CREATE INDEX CONCURRENTLY cannot run inside a\n\
         -- transaction: do not wrap this script in one. ON_ERROR_STOP stops at the first failure.\n\
         \\set ON_ERROR_STOP on\n",
    );
    let mut seen: Vec<&str> = Vec::new();
    let mut any = false;
    for plan in plans {
        for finding in &plan.analysis.findings {
            let origin = format!(
                "-- {}{}: {} at {}",
                plan.source,
                if plan.plan_number > 1 {
                    format!(" (plan {})", plan.plan_number)
                } else {
                    String::new()
                },
                finding.rule,
                finding.node_path
            );
            if let Some(sql) = finding.fix_sql.as_deref() {
                any = true;
                if seen.contains(&sql) {
                    script.push_str(&format!("\n{origin}: the same DDL as above\n"));
                    continue;
                }
                seen.push(sql);
                script.push_str(&format!("\n{origin}\n{}\n", sql.trim_end()));
            }
            if let Some(rewrite) = finding.rewrite_sql.as_deref() {
                any = true;
                script.push_str(&format!(
                    "\n{origin}: the statement rewritten (same rows; change it in the application)\n"
                ));
                for line in rewrite.lines() {
                    script.push_str(&format!("--   {line}\n"));
                }
            }
        }
    }
    any.then_some(script)
}
