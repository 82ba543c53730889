//! GitHub Actions workflow commands: one `::error`, `::warning` or `::notice` line per finding,
//! which the runner turns into annotations on the file and line; then the summary line.

use super::text::summary_line;
use super::{InputFailure, Summary};
use crate::rules::{Finding, Severity};
use crate::AnalyzedPlan;

/// Renders the findings as workflow commands, the failed inputs as `::error` lines without a
/// file, and the usual summary line.
pub fn render_github(
    plans: &[AnalyzedPlan],
    failures: &[InputFailure],
    summary: &Summary,
) -> String {
    let mut out = String::new();
    for plan in plans {
        for finding in &plan.analysis.findings {
            out.push_str(&annotation(plan, finding));
            out.push('\n');
        }
    }
    for failure in failures {
        out.push_str(&format!(
            "::error title={}::{}\n",
            escape_property("planlint input error"),
            escape_data(&failure.message)
        ));
    }
    out.push_str(&summary_line(summary));
    out
}

/// One finding as a workflow command.
fn annotation(plan: &AnalyzedPlan, finding: &Finding) -> String {
    let command = match finding.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let mut properties = Vec::new();
    if let Some(at) = &plan.location {
        properties.push(format!("file={}", escape_property(&at.path)));
        properties.push(format!("line={}", at.line));
        properties.push(format!("col={}", at.column));
    }
    properties.push(format!(
        "title={}",
        escape_property(&format!("{} {}", finding.code, finding.rule))
    ));
    let mut message = format!("{}\nat {}", finding.message, finding.node_path);
    if plan.location.is_none() {
        message.push_str(&format!(" in {}", plan.source));
    }
    if plan.plan_number > 1 {
        message.push_str(&format!(" (plan {})", plan.plan_number));
    }
    if let Some(cause) = &finding.cause {
        message.push_str(&format!("\nwhy: {cause}"));
    }
    message.push_str(&format!("\nfix: {}", finding.suggestion));
    format!(
        "::{command} {}::{}",
        properties.join(","),
        escape_data(&message)
    )
}

/// Escapes a command's message as the runner expects: `%`, CR and LF.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property's value: as a message, and `:` and `,` too.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::{escape_data, escape_property};

    #[test]
    fn escapes_follow_the_runner() {
        assert_eq!(
            escape_data("50% of\r\nrows: a,b"),
            "50%25 of%0D%0Arows: a,b"
        );
        assert_eq!(escape_property("C:\\a,b%.json"), "C%3A\\a%2Cb%25.json");
    }
}
