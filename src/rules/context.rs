//! What a rule sees (the plan and the facts derived from it once) and how it reports.

use super::doc::RuleDoc;
use super::finding::{Finding, Severity};
use super::sites::ScanSite;
use crate::catalog::Catalog;
use crate::partitions::PartitionScan;
use crate::plan::{Explain, NodeId, PlanGraph};
use crate::sql::pruning::{parse_query, Diagnosis};
use sqlparser::ast::Statement;
use std::cell::OnceCell;

/// Everything the rules read about one plan, computed once and shared by all rules.
pub struct Context<'a> {
    /// The plan as parsed.
    pub explain: &'a Explain,
    /// The plan's node graph.
    pub graph: &'a PlanGraph,
    /// Catalog facts, when given.
    pub catalog: Option<&'a Catalog>,
    /// Every partitioned-table scan in the plan.
    pub partitions: &'a [PartitionScan],
    /// Every table access: one per partitioned-table scan, one per other relation scan.
    pub sites: &'a [ScanSite],
    /// For the generic plan of a parameterised statement: the partition scans of a custom plan
    /// made for its parameter values, as if they were literals (live mode with `--param`).
    pub literal_partitions: Option<&'a [PartitionScan]>,
    /// The statement the plan is of, when known (live mode, `--query`, auto_explain's
    /// "Query Text").
    pub query: Option<&'a str>,
    /// The statement parsed, once, by the first rule that asks ([`Context::statements`]).
    pub(crate) parsed_query: OnceCell<Option<Vec<Statement>>>,
}

impl Context<'_> {
    /// The statement the plan is of, parsed: `None` without a query, or when it does not parse.
    pub fn statements(&self) -> Option<&[Statement]> {
        self.parsed_query
            .get_or_init(|| self.query.and_then(parse_query))
            .as_deref()
    }
}

/// A finding before the engine stamps it with the rule and the node path.
pub struct Draft {
    /// The node it is about.
    pub node: NodeId,
    /// Its severity.
    pub severity: Severity,
    /// The table concerned.
    pub relation: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub suggestion: String,
    /// SQL that fixes it.
    pub fix_sql: Option<String>,
    /// Why it happened, read from the query or the plan, with a rewrite when one is known.
    pub diagnosis: Option<Diagnosis>,
}

/// Collects one rule's findings.
pub struct Sink<'a> {
    doc: &'a RuleDoc,
    graph: &'a PlanGraph,
    findings: &'a mut Vec<Finding>,
}

impl<'a> Sink<'a> {
    /// A sink that stamps findings with `doc`'s name and code.
    pub fn new(doc: &'a RuleDoc, graph: &'a PlanGraph, findings: &'a mut Vec<Finding>) -> Self {
        Self {
            doc,
            graph,
            findings,
        }
    }

    /// Reports a finding.
    pub fn report(&mut self, draft: Draft) {
        self.findings.push(Finding {
            rule: self.doc.name.clone(),
            code: self.doc.code.clone(),
            severity: draft.severity,
            message: draft.message,
            suggestion: draft.suggestion,
            fix_sql: draft.fix_sql,
            node_id: draft.node.index(),
            node_path: self.graph.path(draft.node),
            relation: draft.relation,
            cause_kind: draft.diagnosis.as_ref().map(|diagnosis| diagnosis.kind),
            cause: draft
                .diagnosis
                .as_ref()
                .map(|diagnosis| diagnosis.cause.clone()),
            rewrite_sql: draft.diagnosis.and_then(|diagnosis| diagnosis.rewrite_sql),
            verified: None,
            impact: None,
        });
    }
}
