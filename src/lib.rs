//! planlint: finds out why a PostgreSQL query is slow from its `EXPLAIN (FORMAT JSON)` plan.
//!
//! The pipeline: [`source`] reads plan text (files, stdin, psql pastes) into [`plan::Explain`]s,
//! whose nodes form a [`plan::PlanGraph`]; [`partitions`] rolls up partitioned-table scans,
//! with [`catalog`] facts when available; [`sql`] reads the statement (why pruning failed, and
//! a rewrite); [`rules`] turn all that into [`rules::Finding`]s with fixes; [`report`] renders
//! them as text, JSON, SARIF or GitHub annotations. [`live`] fetches plans and catalog facts
//! from a server, [`config`] reads planlint.toml and [`baseline`] keeps old findings quiet.
//!
//! ```no_run
//! let explains = planlint::source::load_str("plan.json", r#"[{"Plan": {"Node Type": "Result"}}]"#)?;
//! let config = planlint::rules::Config::default();
//! for explain in &explains {
//!     let analysis = planlint::analyze(explain, None, &config);
//!     for finding in &analysis.findings {
//!         println!("{}: {}", finding.rule, finding.message);
//!     }
//! }
//! # Ok::<(), planlint::source::InputError>(())
//! ```

#![warn(missing_docs)]

mod analysis;
pub mod baseline;
pub mod catalog;
pub mod config;
mod fingerprint;
pub mod impact;
mod json_error;
#[cfg(feature = "live")]
pub mod live;
mod numbers;
pub mod partitions;
pub mod plan;
pub mod report;
pub mod rules;
pub mod source;
pub mod sql;
pub mod suggest;
pub mod workload;

pub use analysis::{
    analyze, analyze_generic, analyze_query, Analysis, AnalyzedPlan, SourceLocation,
};
