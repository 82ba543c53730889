//! The typed plan model: nodes parsed from EXPLAIN's JSON, text, YAML or XML output and the graph they form.

mod graph;
mod json_text;
mod label;
mod node;
mod parse;
mod text;
mod untyped;
mod xml;
mod yaml;

pub use graph::{NodeId, PlanGraph};
pub use node::{Buffers, PlanNode, Relationship};
pub use parse::{parse_plans, Explain, ParseError, ParseWarning};
pub use text::{parse_text_plans, TextPlans};
pub use untyped::UntypedFields;
pub use xml::parse_xml_plans;
pub use yaml::parse_yaml_plans;
