//! The typed plan model: nodes parsed from EXPLAIN's JSON and the graph they form.

mod graph;
mod label;
mod node;
mod parse;
mod untyped;

pub use graph::{NodeId, PlanGraph};
pub use node::{Buffers, PlanNode, Relationship};
pub use parse::{parse_plans, Explain, ParseError};
pub use untyped::UntypedFields;
