//! The text report: per plan a compact tree with flagged nodes marked, then the findings with
//! their fixes; a summary line at the end. Inputs that could not be read are counted there;
//! their errors go to stderr, one line each.

use colored::Colorize;

use super::tree::{paint, render_tree};
use super::Summary;
use crate::impact::{Impact, ImpactBasis};
use crate::rules::Finding;
use crate::workload::duration;
use crate::AnalyzedPlan;

/// Fix SQL longer than this many lines is not shown in the text report, which says where it is
/// whole instead: `--fix-sql FILE`, or JSON. Never a part: a partitioned index's DDL cut short
/// leaves the parent index invalid.
const MAX_FIX_LINES: usize = 24;

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
        if let Some(workload) = &plan.workload {
            if let Some(summary) = workload.summary() {
                out.push_str(&format!("  {}\n", summary.dimmed()));
            }
            if let Some(query) = &workload.query {
                out.push_str(&format!("  {}\n", one_line(query, 160).dimmed()));
            }
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
    if let Some(impact) = &finding.impact {
        out.push_str(&format!(
            "  {} {}\n",
            "time:".cyan().bold(),
            impact_phrase(impact)
        ));
    }
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
    if let Some(share) = summary.time_with_findings {
        text.push_str(&format!(
            "; the statements with findings take {} of the measured time",
            crate::numbers::percent(share.min(1.0))
        ));
    }
    if let Some(elapsed) = summary.elapsed {
        text.push_str(&format!(", in {:.2} s", elapsed.as_secs_f64()));
    }
    format!("{}\n", text.bold())
}

/// `text` on one line, whitespace runs as one space, cut at `limit` characters with `…`.
fn one_line(text: &str, limit: usize) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match joined.char_indices().nth(limit) {
        Some((cut, _)) => format!("{}…", &joined[..cut]),
        None => joined,
    }
}

/// `12.3 ms, 45% of the statement's time`, or for a statement's measured time `the statement takes
/// 1.6 min in all, 45% of the measured time`.
fn impact_phrase(impact: &Impact) -> String {
    let share = |of: &str| {
        impact
            .share
            .map(|share| format!(", {} of {of}", crate::numbers::percent(share)))
            .unwrap_or_default()
    };
    match impact.basis {
        ImpactBasis::NodeTime => format!(
            "{}{}",
            duration(impact.time_ms),
            share("the statement's time")
        ),
        ImpactBasis::StatementTime => format!(
            "the statement takes {} in all{}",
            duration(impact.time_ms),
            share("the measured time")
        ),
    }
}
