//! The text report: per plan a compact tree with flagged nodes marked, then the findings with
//! their fixes; a summary line at the end. Inputs that could not be read are counted there;
//! their errors go to stderr, one line each.

use colored::Colorize;

use super::tree::{paint, render_tree};
use super::Summary;
use crate::rules::Finding;
use crate::workload::Workload;
use crate::AnalyzedPlan;

/// Fix SQL longer than this many lines is not shown in the text report, which says where it is
/// whole instead: `--fix-sql FILE`, or JSON. Never a part: a partitioned index's DDL cut short
/// leaves the parent index invalid.
const MAX_FIX_LINES: usize = 24;

/// How much of a source's statement the text report shows under the plan's title.
const MAX_STATEMENT_CHARS: usize = 160;

/// Renders the analysed plans for a terminal, closing with the summary line (failed inputs are
/// counted there; their errors go to stderr). `fix_file` is where `--fix-sql` writes the fixes.
pub fn render_text(plans: &[AnalyzedPlan], summary: &Summary, fix_file: Option<&str>) -> String {
    let mut out = String::new();
    let several = plans.len() > 1;
    for plan in plans {
        let title = if several || plan.plan_number > 1 {
            format!("{} (plan {})", plan.source, plan.plan_number)
        } else {
            plan.source.clone()
        };
        out.push_str(&format!("{}\n", title.bold().underline()));
        if let Some(summary) = plan.workload.as_ref().and_then(Workload::summary) {
            out.push_str(&format!("  {}\n", summary.dimmed()));
        }
        if let Some(query) = plan.workload.as_ref().and_then(|w| w.query.as_deref()) {
            out.push_str(&format!("  {}\n", statement_line(query).dimmed()));
        }
        for line in render_tree(
            &plan.explain.graph,
            &plan.analysis.partitions,
            &plan.analysis.findings,
        ) {
            out.push_str(&format!("  {line}\n"));
        }
        out.push('\n');
        for finding in &plan.analysis.findings {
            render_finding(&mut out, finding, fix_file);
        }
    }
    let totals_unknown = plans
        .iter()
        .flat_map(|plan| &plan.analysis.partitions)
        .any(|scan| scan.partitions_total.is_none());
    if totals_unknown {
        out.push_str(&format!(
            "{} partition totals are unknown without a catalog snapshot (partitions pruned at plan time leave \
             no trace in a plan): pass --catalog FILE; `planlint catalog --sql | psql -XAt -d DB > catalog.json` \
             writes one\n",
            "note:".cyan().bold()
        ));
    }
    out.push_str(&summary_line(summary));
    out
}

/// The statement on one line for the report: white space runs made one space, cut after
/// [`MAX_STATEMENT_CHARS`] characters.
fn statement_line(query: &str) -> String {
    let mut line = query.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some((at, _)) = line.char_indices().nth(MAX_STATEMENT_CHARS) {
        line.truncate(at);
        line.push_str(" …");
    }
    line
}

fn render_finding(out: &mut String, finding: &Finding, fix_file: Option<&str>) {
    out.push_str(&format!(
        "{} {} {}\n",
        paint(
            &format!("{}[{}]", finding.severity, finding.code),
            finding.severity
        ),
        finding.rule.bold(),
        format!("at {}", finding.node_path).dimmed()
    ));
    out.push_str(&format!("  {}\n", finding.message));
    if let Some(cause) = &finding.cause {
        out.push_str(&format!("  {} {cause}\n", "why:".cyan().bold()));
    }
    out.push_str(&format!(
        "  {} {}\n",
        "fix:".green().bold(),
        finding.suggestion
    ));
    if let Some(rewrite) = &finding.rewrite_sql {
        out.push_str(&format!("    {}\n", rewrite.green()));
    }
    if let Some(sql) = &finding.fix_sql {
        let lines = sql.lines().count();
        if lines <= MAX_FIX_LINES {
            for line in sql.lines() {
                out.push_str(&format!("    {}\n", line.green()));
            }
        } else {
            let whereabouts = match fix_file {
                Some(file) => format!("written whole to {file}"),
                None => {
                    "not shown, since a part would leave an index invalid: --fix-sql FILE writes \
                         every fix as one psql script (--format json has it too)"
                        .to_owned()
                }
            };
            out.push_str(&format!(
                "    {}\n",
                format!("-- {lines} lines of DDL, {whereabouts}").dimmed()
            ));
        }
    }
    if let Some(verified) = &finding.verified {
        let effect = format!("{} → {}", verified.before, verified.after);
        out.push_str(&format!("  {} {effect}\n", "verified:".green().bold()));
    }
    out.push('\n');
}

/// The failures of a run, each counted as what it is: `, 1 statement refused, 2 timed out,
/// 1 input could not be read` (nothing when there were none).
pub(super) fn failures_phrase(summary: &Summary) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let unreadable = summary.failed_inputs - summary.refused - summary.timed_out;
    let mut text = String::new();
    if summary.refused > 0 {
        text.push_str(&format!(
            ", {} refused",
            plural(summary.refused, "statement")
        ));
    }
    if summary.timed_out > 0 {
        text.push_str(&format!(
            ", {} timed out",
            plural(summary.timed_out, "statement")
        ));
    }
    if unreadable > 0 {
        text.push_str(&format!(
            ", {} could not be read",
            plural(unreadable, "input")
        ));
    }
    text
}

/// The closing line: plans, findings by severity, failed inputs by what happened to them.
pub(super) fn summary_line(summary: &Summary) -> String {
    let found = summary.errors + summary.warnings + summary.infos;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let files = if summary.files > 0 {
        format!("{}, ", plural(summary.files, "file"))
    } else {
        String::new()
    };
    let mut text = format!(
        "{files}{}, {} ({}, {}, {} info)",
        plural(summary.plans, "plan"),
        plural(found, "finding"),
        plural(summary.errors, "error"),
        plural(summary.warnings, "warning"),
        summary.infos
    );
    text.push_str(&failures_phrase(summary));
    if let Some(time) = &summary.time {
        text.push_str(&format!("; {}", time.phrase()));
    }
    if let Some(elapsed) = summary.elapsed {
        text.push_str(&format!(", in {:.2} s", elapsed.as_secs_f64()));
    }
    format!("{}\n", text.bold())
}
