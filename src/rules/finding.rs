//! What a rule reports.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::impact::Impact;
use crate::sql::pruning::CauseKind;

/// How serious a finding is; `--fail-on` compares against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; not a failure by default.
    Info,
    /// Likely slow; fails CI by default.
    Warning,
    /// Certainly slow at scale.
    Error,
}

impl Severity {
    /// The lower-case name used in output and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }

    /// One step less severe (info stays info).
    pub fn lowered(self) -> Self {
        match self {
            Self::Error => Self::Warning,
            Self::Warning | Self::Info => Self::Info,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "info" => Ok(Self::Info),
            "warning" => Ok(Self::Warning),
            "error" => Ok(Self::Error),
            other => Err(format!(
                "unknown severity \"{other}\" (expected info, warning or error)"
            )),
        }
    }
}

/// One problem found in a plan, with what to do about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The rule's kebab-case name, e.g. `unpruned-partitions`.
    pub rule: String,
    /// The rule's stable code, e.g. `PL001`.
    pub code: String,
    /// How serious it is.
    pub severity: Severity,
    /// What is wrong, in one sentence.
    pub message: String,
    /// What to do about it.
    pub suggestion: String,
    /// SQL that fixes it, ready to paste, when there is one.
    pub fix_sql: Option<String>,
    /// The plan node (pre-order index) the finding is about.
    pub node_id: usize,
    /// The node's path from the root, e.g. `Gather > Append > Seq Scan on orders_p3`.
    pub node_path: String,
    /// The table concerned (for partitions, the partitioned parent).
    pub relation: Option<String>,
    /// The kind of cause, e.g. `function-on-key`, when planlint found one.
    pub cause_kind: Option<CauseKind>,
    /// Why it happened, in one sentence, when planlint could tell.
    pub cause: Option<String>,
    /// The statement rewritten so the problem goes away, when planlint knows how.
    pub rewrite_sql: Option<String>,
    /// The rewrite's effect as the live planner reported it (`--verify`).
    pub verified: Option<Verified>,
    /// The time it accounts for, where the input tells it (an ANALYZE plan's node time, the
    /// statement's measured time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impact: Option<Impact>,
}

/// A fix checked against the real planner: the plan before and after, in words and numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verified {
    /// What the original plan does, e.g. `scanned 8 of 8 partitions`.
    pub before: String,
    /// What the rewritten plan does, e.g. `scanned 1 of 8 partitions`.
    pub after: String,
    /// How the fix was checked.
    pub method: VerifyMethod,
    /// Partitions the original plan reads (a rewrite's check).
    pub partitions_before: Option<usize>,
    /// Partitions the rewritten statement's plan reads (a rewrite's check).
    pub partitions_after: Option<usize>,
    /// Partitions of the table, when the catalog has them.
    pub partitions_total: Option<usize>,
    /// The original plan's total cost (an index's check).
    pub cost_before: Option<f64>,
    /// The plan's total cost with the index (an index's check).
    pub cost_after: Option<f64>,
}

/// How `--verify` checked a fix: always against the live planner, never by executing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerifyMethod {
    /// The rewritten statement was planned (plain EXPLAIN).
    Replan,
    /// The statement was planned with the index created as a HypoPG hypothetical index.
    Hypopg,
}
