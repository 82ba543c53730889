//! GitLab Code Quality reports (`--format gitlab`): the JSON array of issues GitLab shows in a
//! merge request's widget and diff, as its documentation describes each field. Fingerprints are
//! stable from run to run, so GitLab tells new findings from ones already there.

use serde::Serialize;

use super::fingerprints::Fingerprints;
use super::InputFailure;
use crate::rules::{Finding, Severity};
use crate::AnalyzedPlan;

/// One Code Quality issue.
#[derive(Serialize)]
struct Issue<'a> {
    /// What is wrong, with where in the plan and the fix.
    description: String,
    /// The rule: `PL003 missing-index`.
    check_name: String,
    /// Unique in the report, the same from run to run.
    fingerprint: String,
    /// `info`, `minor`, `major`, `critical` or `blocker`.
    severity: &'static str,
    location: Location<'a>,
}

/// Where the issue is: the file, relative to the repository, and its line.
#[derive(Serialize)]
struct Location<'a> {
    path: &'a str,
    lines: Lines,
}

/// The line an issue is on.
#[derive(Serialize)]
struct Lines {
    begin: usize,
}

/// Renders the findings, and the inputs that could not be read, as a Code Quality report.
pub fn render_gitlab(plans: &[AnalyzedPlan], failures: &[InputFailure]) -> String {
    let mut fingerprints = Fingerprints::default();
    let mut issues: Vec<Issue<'_>> = Vec::new();
    for plan in plans {
        for finding in &plan.analysis.findings {
            issues.push(Issue {
                description: description(plan, finding),
                check_name: format!("{} {}", finding.code, finding.rule),
                fingerprint: fingerprints.of(plan, finding),
                severity: severity(finding.severity),
                location: Location {
                    path: plan.location.as_ref().map_or(&plan.source, |at| &at.path),
                    lines: Lines {
                        begin: plan.location.as_ref().map_or(1, |at| at.line),
                    },
                },
            });
        }
    }
    for failure in failures {
        issues.push(Issue {
            description: failure.message.clone(),
            check_name: "planlint input error".into(),
            fingerprint: fingerprints.next(["input", &failure.source, &failure.kind, ""]),
            severity: "blocker",
            location: Location {
                path: &failure.source,
                lines: Lines { begin: 1 },
            },
        });
    }
    let mut out = serde_json::to_string_pretty(&issues).expect("issues serialize");
    out.push('\n');
    out
}

/// GitLab's severity for a finding's.
fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Info => "info",
    }
}

/// The finding in one paragraph: what, where in the plan, why, and the fix.
fn description(plan: &AnalyzedPlan, finding: &Finding) -> String {
    let mut text = format!("{} (at {}", finding.message, finding.node_path);
    if plan.plan_number > 1 {
        text.push_str(&format!(", plan {}", plan.plan_number));
    }
    text.push(')');
    if let Some(cause) = &finding.cause {
        text.push_str(&format!(". Why: {cause}"));
    }
    text.push_str(&format!(". Fix: {}", finding.suggestion));
    text
}
