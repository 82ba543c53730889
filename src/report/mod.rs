//! Renders analysed plans for people (text), programs (JSON), code scanning (SARIF) and
//! GitHub Actions annotations (workflow commands).

mod fingerprints;
mod fix_script;
mod github;
mod gitlab;
mod json;
mod markdown;
mod sarif;
mod text;
mod tree;

use crate::rules::Severity;
use crate::AnalyzedPlan;

pub use fix_script::render_fix_script;
pub use github::render_github;
pub use gitlab::render_gitlab;
pub use json::render_json;
pub use markdown::render_markdown;
pub use sarif::render_sarif;
pub use text::render_text;

/// An input that could not be analysed, as reports list it.
#[derive(Debug, Clone)]
pub struct InputFailure {
    /// The input's name.
    pub source: String,
    /// The one-line error, already naming the input.
    pub message: String,
    /// A short machine-readable kind, e.g. `syntax`, `not-a-plan`.
    pub kind: String,
}

/// Counts for the closing summary.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Summary {
    /// Plans analysed.
    pub plans: usize,
    /// Findings at each severity.
    pub errors: usize,
    /// Warnings.
    pub warnings: usize,
    /// Infos.
    pub infos: usize,
    /// Inputs that failed, whatever the reason: the sum of `refused`, `timed_out` and those
    /// that could not be read.
    pub failed_inputs: usize,
    /// Of those, statements planlint refused to run (a write, a side effect, several at once).
    pub refused: usize,
    /// Of those, statements that ran past `--timeout` or waited past `--lock-timeout`.
    pub timed_out: usize,
    /// Distinct files the plans came from (plan files, or `.sql` files of checked statements).
    pub files: usize,
    /// How long the run took, when the caller measured it.
    pub elapsed: Option<std::time::Duration>,
    /// When the plans carry their share of a measured time (pg_stat_statements, a server log):
    /// the share, 0 to 1, of the statements planlint has findings for.
    pub time_with_findings: Option<f64>,
}

impl Summary {
    /// Counts the findings of `plans` and the `failures`.
    pub fn of(plans: &[AnalyzedPlan], failures: &[InputFailure]) -> Self {
        let files: std::collections::BTreeSet<&str> = plans
            .iter()
            .filter_map(|plan| {
                plan.location
                    .as_ref()
                    .map(|location| location.path.as_str())
            })
            .collect();
        let mut summary = Self {
            plans: plans.len(),
            failed_inputs: failures.len(),
            refused: failures.iter().filter(|f| f.kind == "refused").count(),
            timed_out: failures.iter().filter(|f| f.kind == "timeout").count(),
            files: files.len(),
            ..Self::default()
        };
        let shares = plans.iter().filter_map(|plan| {
            let share = plan.workload.as_ref()?.share?;
            Some((share, !plan.analysis.findings.is_empty()))
        });
        summary.time_with_findings = shares.fold(None, |sum: Option<f64>, (share, found)| {
            Some(sum.unwrap_or(0.0) + if found { share } else { 0.0 })
        });
        for finding in plans.iter().flat_map(|plan| &plan.analysis.findings) {
            match finding.severity {
                Severity::Error => summary.errors += 1,
                Severity::Warning => summary.warnings += 1,
                Severity::Info => summary.infos += 1,
            }
        }
        summary
    }

    /// Whether any finding is at or above `level`.
    pub fn has_findings_at(&self, level: Severity) -> bool {
        match level {
            Severity::Error => self.errors > 0,
            Severity::Warning => self.errors + self.warnings > 0,
            Severity::Info => self.errors + self.warnings + self.infos > 0,
        }
    }
}
