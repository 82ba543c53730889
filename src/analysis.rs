//! Runs the whole analysis of one plan: partition roll-ups, table accesses, rules.

use std::cell::OnceCell;

use crate::catalog::Catalog;
use crate::partitions::{partition_scans, partition_scans_of_statement, PartitionScan};
use crate::plan::Explain;
use crate::rules::{run_rules, scan_sites, Config, Context, Finding};
use crate::sql::referenced_tables;
use crate::workload::Workload;

/// What planlint found in one plan.
#[derive(Debug)]
pub struct Analysis {
    /// Every place the plan scans a partitioned table.
    pub partitions: Vec<PartitionScan>,
    /// The rules' findings, in node order, the one that holds a node's fix first; worst first
    /// once [`crate::impact::assign`] has timed them.
    pub findings: Vec<Finding>,
}

/// A plan from one input, with its analysis.
#[derive(Debug)]
pub struct AnalyzedPlan {
    /// Where the plan came from: a file path, `<stdin>`, or for a checked statement
    /// `file.sql:12:1` (`<argument N>` for SQL given on the command line).
    pub source: String,
    /// The file and position the findings belong to, when there is a file: the plan file, or
    /// the statement in its `.sql` file.
    pub location: Option<SourceLocation>,
    /// The statement the plan is of, when known (live mode, `--query`).
    pub statement: Option<String>,
    /// The plan's position in its input, from 1.
    pub plan_number: usize,
    /// The plan.
    pub explain: Explain,
    /// What planlint found in it.
    pub analysis: Analysis,
    /// What the source tells of the statement's cost in production (pg_stat_statements, a
    /// server log); `None` for a plan from a file or a checked statement.
    pub workload: Option<Workload>,
}

/// A position in a file, 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLocation {
    /// The file's path as given.
    pub path: String,
    /// Line.
    pub line: usize,
    /// Column, in characters.
    pub column: usize,
}

/// Analyses one plan with optional catalog facts and the rules' settings. The statement's text
/// comes from auto_explain's "Query Text" when the plan carries it.
pub fn analyze(explain: &Explain, catalog: Option<&Catalog>, config: &Config) -> Analysis {
    analyze_with(
        explain,
        explain.query_text.as_deref(),
        None,
        catalog,
        config,
    )
}

/// Analyses one plan knowing the statement it is of, so rules can say why (for example why
/// pruning failed) and rewrite it.
pub fn analyze_query(
    explain: &Explain,
    query: &str,
    catalog: Option<&Catalog>,
    config: &Config,
) -> Analysis {
    analyze_with(explain, Some(query), None, catalog, config)
}

/// Analyses the generic plan of a parameterised statement next to a custom plan made for its
/// parameter values, so rules can tell what prunes only when the values are literals.
pub fn analyze_generic(
    generic: &Explain,
    custom: &Explain,
    query: Option<&str>,
    catalog: Option<&Catalog>,
    config: &Config,
) -> Analysis {
    let custom_partitions = partition_scans(&custom.graph, catalog);
    analyze_with(generic, query, Some(&custom_partitions), catalog, config)
}

fn analyze_with(
    explain: &Explain,
    query: Option<&str>,
    literal_partitions: Option<&[PartitionScan]>,
    catalog: Option<&Catalog>,
    config: &Config,
) -> Analysis {
    let statement_tables = query
        .and_then(|query| referenced_tables(query).ok())
        .unwrap_or_default();
    let partitions = partition_scans_of_statement(&explain.graph, catalog, &statement_tables);
    let sites = scan_sites(&explain.graph, &partitions, catalog);
    let context = Context {
        explain,
        graph: &explain.graph,
        catalog,
        partitions: &partitions,
        sites: &sites,
        literal_partitions,
        query,
        parsed_query: OnceCell::new(),
    };
    let findings = run_rules(&context, config);
    Analysis {
        partitions,
        findings,
    }
}
