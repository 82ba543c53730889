//! A Markdown summary (`--format markdown`): for `$GITHUB_STEP_SUMMARY`, a merge request
//! comment or a chat. A heading with the counts, a table of the findings, their fixes folded
//! under `<details>`, and the inputs that could not be read.

use super::{InputFailure, Summary};
use crate::rules::{Finding, Severity};
use crate::AnalyzedPlan;

/// Renders the run as Markdown.
pub fn render_markdown(
    plans: &[AnalyzedPlan],
    failures: &[InputFailure],
    summary: &Summary,
) -> String {
    let findings = summary.errors + summary.warnings + summary.infos;
    let mut out = format!(
        "## planlint: {findings} finding{} in {} plan{}\n\n{} error{}, {} warning{}, {} info",
        plural(findings),
        summary.plans,
        plural(summary.plans),
        summary.errors,
        plural(summary.errors),
        summary.warnings,
        plural(summary.warnings),
        summary.infos,
    );
    let failed = super::text::failures_phrase(summary);
    if let Some(failed) = failed.strip_prefix(", ") {
        out.push_str(&format!("; {failed}"));
    }
    out.push_str(".\n");
    let all: Vec<(&AnalyzedPlan, &Finding)> = plans
        .iter()
        .flat_map(|plan| {
            plan.analysis
                .findings
                .iter()
                .map(move |finding| (plan, finding))
        })
        .collect();
    if !all.is_empty() {
        out.push_str("\n| severity | rule | where | finding |\n|---|---|---|---|\n");
        for (plan, finding) in &all {
            out.push_str(&format!(
                "| {} | {} {} | {} | {} |\n",
                severity(finding.severity),
                finding.code,
                finding.rule,
                cell(&place(plan, finding)),
                cell(&finding.message),
            ));
        }
        out.push_str("\n<details><summary>Fixes</summary>\n\n");
        for (plan, finding) in &all {
            out.push_str(&format!(
                "**{} {}** at {}: {}\n",
                finding.code,
                finding.rule,
                place(plan, finding),
                finding.suggestion
            ));
            if let Some(cause) = &finding.cause {
                out.push_str(&format!("\nWhy: {cause}\n"));
            }
            if let Some(sql) = finding.fix_sql.as_ref().or(finding.rewrite_sql.as_ref()) {
                out.push_str(&format!("\n```sql\n{}\n```\n", sql.trim_end()));
            }
            out.push('\n');
        }
        out.push_str("</details>\n");
    }
    if !failures.is_empty() {
        out.push_str("\nInputs that could not be read:\n\n");
        for failure in failures {
            out.push_str(&format!("- {}\n", inline(&failure.message)));
        }
    }
    out
}

/// `s` after a count other than one.
fn plural(count: usize) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}

/// A severity as the table shows it.
fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "**error**",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

/// Where a finding is: the file and line (or the input's name) and the node path.
fn place(plan: &AnalyzedPlan, finding: &Finding) -> String {
    let file = match &plan.location {
        Some(at) => format!("{}:{}", at.path, at.line),
        None => plan.source.clone(),
    };
    let number = if plan.plan_number > 1 {
        format!(" (plan {})", plan.plan_number)
    } else {
        String::new()
    };
    format!("{}{number} · {}", inline(&file), finding.node_path)
}

/// Text as inline code, with a backtick run longer than any inside it.
fn inline(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// Text for a table cell: one line, its pipes escaped.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::{cell, inline};

    #[test]
    fn cells_and_code_survive_pipes_newlines_and_backticks() {
        assert_eq!(cell("a | b\nc"), "a \\| b c");
        assert_eq!(inline("plan.json"), "`plan.json`");
        assert_eq!(inline("a`b"), "``a`b``");
        assert_eq!(inline("`x`"), "`` `x` ``");
    }
}
