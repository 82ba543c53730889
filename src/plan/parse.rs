//! Parses `EXPLAIN (FORMAT JSON)` text straight into [`Explain`]s: no intermediate JSON tree.
//!
//! Plan nodes go into a flat arena in pre-order while they are read, so nothing that is built
//! from a plan recurses on its depth. The one recursion left, serde's descent through nested
//! `"Plans"`, runs on a stack that grows on the heap when needed, so a plan nested 100,000 levels
//! deep parses without a stack overflow; fields planlint does not type are kept as raw JSON text,
//! which serde_json skips without recursion.

use std::collections::BTreeMap;
use std::fmt;

use crate::json_error::message_without_position;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::graph::PlanGraph;
use super::node::{PlanNode, Relationship};

/// Stack kept free before serde descends into a child plan.
const STACK_RED_ZONE: usize = 128 * 1024;
/// Stack added on the heap each time the free stack falls below the red zone.
const STACK_GROWTH: usize = 4 * 1024 * 1024;

/// One plan as EXPLAIN returned it: the node tree plus the fields printed beside it.
#[derive(Debug)]
pub struct Explain {
    /// The plan's nodes and the edges between them.
    pub graph: PlanGraph,
    /// `"Planning Time"` in milliseconds (ANALYZE, or SUMMARY).
    pub planning_time: Option<f64>,
    /// `"Execution Time"` in milliseconds (ANALYZE).
    pub execution_time: Option<f64>,
    /// `"Settings"` (EXPLAIN SETTINGS): planner settings that differ from their defaults.
    pub settings: Vec<(String, String)>,
    /// `"Query Text"`: present when the plan was logged by auto_explain.
    pub query_text: Option<String>,
    /// Every other top-level field (`"Triggers"`, `"JIT"`, `"Planning"`, ...), kept verbatim.
    pub extra: Vec<(String, Box<RawValue>)>,
}

/// Why a text could not be read as plans.
#[derive(Debug)]
pub struct ParseError {
    /// What was wrong, in one sentence without the position.
    pub message: String,
    /// 1-based line of the problem in the parsed text (0 when unknown).
    pub line: usize,
    /// 1-based column of the problem in the parsed text (0 when unknown).
    pub column: usize,
    /// Whether the text ended before the JSON was complete.
    pub truncated: bool,
    /// Whether the text was JSON but not a plan (as opposed to broken JSON).
    pub not_a_plan: bool,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at line {} column {}",
            self.message, self.line, self.column
        )
    }
}

impl From<serde_json::Error> for ParseError {
    fn from(error: serde_json::Error) -> Self {
        let category = error.classify();
        Self {
            message: message_without_position(&error.to_string()).to_owned(),
            line: error.line(),
            column: error.column(),
            truncated: category == serde_json::error::Category::Eof,
            not_a_plan: category == serde_json::error::Category::Data,
        }
    }
}

/// Parses every plan in `text`: an EXPLAIN result array, a bare `{"Plan": ...}` object, or
/// several of either one after another.
pub fn parse_plans(text: &str) -> Result<Vec<Explain>, ParseError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    deserializer.disable_recursion_limit();
    let mut plans = Vec::new();
    let mut stream = deserializer.into_iter::<Document>();
    for document in &mut stream {
        match document? {
            Document(mut explains) => plans.append(&mut explains),
        }
    }
    if plans.is_empty() {
        return Err(ParseError {
            message: "no plan found: expected the JSON that EXPLAIN (FORMAT JSON) prints".into(),
            line: 1,
            column: 1,
            truncated: false,
            not_a_plan: true,
        });
    }
    Ok(plans)
}

/// One JSON value of the input: an array of EXPLAIN objects, or one of them.
struct Document(Vec<Explain>);

impl<'de> de::Deserialize<'de> for Document {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DocumentVisitor)
    }
}

struct DocumentVisitor;

impl<'de> Visitor<'de> for DocumentVisitor {
    type Value = Document;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an EXPLAIN (FORMAT JSON) result: an array of objects with a \"Plan\"")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Document, A::Error> {
        let mut explains = Vec::new();
        while let Some(explain) = seq.next_element_seed(ExplainVisitor)? {
            explains.push(explain);
        }
        Ok(Document(explains))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Document, A::Error> {
        ExplainVisitor
            .visit_map(map)
            .map(|explain| Document(vec![explain]))
    }
}

/// Reads one `{"Plan": ..., "Planning Time": ...}` object.
struct ExplainVisitor;

impl<'de> DeserializeSeed<'de> for ExplainVisitor {
    type Value = Explain;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Explain, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ExplainVisitor {
    type Value = Explain;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object with a \"Plan\"")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Explain, A::Error> {
        let mut arena: Option<Arena> = None;
        let mut explain = Explain {
            graph: PlanGraph::default(),
            planning_time: None,
            execution_time: None,
            settings: Vec::new(),
            query_text: None,
            extra: Vec::new(),
        };
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "Plan" => {
                    let mut nodes = Arena::default();
                    map.next_value_seed(NodeSeed {
                        arena: &mut nodes,
                        parent: None,
                    })?;
                    arena = Some(nodes);
                }
                "Planning Time" => explain.planning_time = Some(field(&key, map.next_value())?),
                "Execution Time" => explain.execution_time = Some(field(&key, map.next_value())?),
                "Query Text" => explain.query_text = Some(field(&key, map.next_value())?),
                "Settings" => {
                    let settings: BTreeMap<String, Box<RawValue>> = field(&key, map.next_value())?;
                    explain.settings = settings
                        .into_iter()
                        .map(|(name, raw)| {
                            let value = serde_json::from_str::<String>(raw.get())
                                .unwrap_or_else(|_| raw.get().to_owned());
                            (name, value)
                        })
                        .collect();
                }
                _ => explain.extra.push((key, map.next_value()?)),
            }
        }
        let arena = arena.ok_or_else(|| {
            de::Error::custom(
                "object has no \"Plan\": expected the JSON that EXPLAIN (FORMAT JSON) prints",
            )
        })?;
        explain.graph = PlanGraph::from_preorder(arena.nodes, &arena.parents);
        Ok(explain)
    }
}

/// Plan nodes in pre-order, with each node's parent index.
#[derive(Default)]
struct Arena {
    nodes: Vec<PlanNode>,
    parents: Vec<Option<usize>>,
}

/// Reads one plan node (and, through `"Plans"`, its subtree) into the arena.
struct NodeSeed<'a> {
    arena: &'a mut Arena,
    parent: Option<usize>,
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || {
            deserializer.deserialize_map(self)
        })
    }
}

impl<'de> Visitor<'de> for NodeSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a plan node object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let index = self.arena.nodes.len();
        self.arena.nodes.push(PlanNode::default());
        self.arena.parents.push(self.parent);
        let mut has_type = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "Plans" {
                map.next_value_seed(ChildrenSeed {
                    arena: &mut *self.arena,
                    parent: index,
                })?;
                continue;
            }
            let node = &mut self.arena.nodes[index];
            has_type |= key == "Node Type";
            read_node_field(node, key, &mut map)?;
        }
        if !has_type {
            return Err(de::Error::custom("plan node has no \"Node Type\""));
        }
        Ok(())
    }
}

/// Reads the `"Plans"` array of a node.
struct ChildrenSeed<'a> {
    arena: &'a mut Arena,
    parent: usize,
}

impl<'de> DeserializeSeed<'de> for ChildrenSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ChildrenSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of plan nodes in \"Plans\"")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(NodeSeed {
                arena: &mut *self.arena,
                parent: Some(self.parent),
            })?
            .is_some()
        {}
        Ok(())
    }
}

/// Reads a typed field's value, naming the field when the value has the wrong type. Broken
/// JSON inside the value (a syntax error, the end of the text) is passed on as it is.
fn field<T, E: de::Error>(key: &str, value: Result<T, E>) -> Result<T, E> {
    value.map_err(|error| {
        let message = error.to_string();
        if message.starts_with("invalid type") || message.starts_with("invalid value") {
            E::custom(format!(
                "field \"{key}\": {}",
                message_without_position(&message)
            ))
        } else {
            error
        }
    })
}

/// Stores one field of a plan node: typed when planlint knows it, verbatim otherwise.
fn read_node_field<'de, A: MapAccess<'de>>(
    node: &mut PlanNode,
    key: String,
    map: &mut A,
) -> Result<(), A::Error> {
    macro_rules! typed {
        ($target:expr) => {
            $target = field(&key, map.next_value())?
        };
    }
    macro_rules! some {
        ($target:expr) => {
            $target = Some(field(&key, map.next_value())?)
        };
    }
    match key.as_str() {
        "Node Type" => typed!(node.node_type),
        "Parent Relationship" => {
            let text: String = field(&key, map.next_value())?;
            node.parent_relationship = Some(Relationship::parse(&text));
        }
        "Subplan Name" => some!(node.subplan_name),
        "Strategy" => some!(node.strategy),
        "Partial Mode" => some!(node.partial_mode),
        "Operation" => some!(node.operation),
        "Parallel Aware" => typed!(node.parallel_aware),
        "Relation Name" => some!(node.relation_name),
        "Schema" => some!(node.schema),
        "Alias" => some!(node.alias),
        "Index Name" => some!(node.index_name),
        "CTE Name" => some!(node.cte_name),
        "Function Name" => some!(node.function_name),
        "Join Type" => some!(node.join_type),
        "Scan Direction" => some!(node.scan_direction),
        "Startup Cost" => some!(node.startup_cost),
        "Total Cost" => some!(node.total_cost),
        "Plan Rows" => some!(node.plan_rows),
        "Plan Width" => some!(node.plan_width),
        "Actual Startup Time" => some!(node.actual_startup_time),
        "Actual Total Time" => some!(node.actual_total_time),
        "Actual Rows" => some!(node.actual_rows),
        "Actual Loops" => some!(node.actual_loops),
        "Workers Planned" => some!(node.workers_planned),
        "Workers Launched" => some!(node.workers_launched),
        "Filter" => some!(node.filter),
        "Index Cond" => some!(node.index_cond),
        "Recheck Cond" => some!(node.recheck_cond),
        "Hash Cond" => some!(node.hash_cond),
        "Merge Cond" => some!(node.merge_cond),
        "Join Filter" => some!(node.join_filter),
        "One-Time Filter" => some!(node.one_time_filter),
        "Rows Removed by Filter" => some!(node.rows_removed_by_filter),
        "Rows Removed by Index Recheck" => some!(node.rows_removed_by_index_recheck),
        "Rows Removed by Join Filter" => some!(node.rows_removed_by_join_filter),
        "Subplans Removed" => some!(node.subplans_removed),
        "Shared Hit Blocks" => some!(node.buffers.shared_hit),
        "Shared Read Blocks" => some!(node.buffers.shared_read),
        "Shared Dirtied Blocks" => some!(node.buffers.shared_dirtied),
        "Shared Written Blocks" => some!(node.buffers.shared_written),
        "Local Hit Blocks" => some!(node.buffers.local_hit),
        "Local Read Blocks" => some!(node.buffers.local_read),
        "Temp Read Blocks" => some!(node.buffers.temp_read),
        "Temp Written Blocks" => some!(node.buffers.temp_written),
        "Sort Key" => typed!(node.sort_key),
        "Sort Method" => some!(node.sort_method),
        "Sort Space Used" => some!(node.sort_space_used),
        "Sort Space Type" => some!(node.sort_space_type),
        "Hash Buckets" => some!(node.hash_buckets),
        "Hash Batches" => some!(node.hash_batches),
        "Peak Memory Usage" => some!(node.peak_memory_usage),
        "Output" => typed!(node.output),
        _ => {
            let value = map.next_value()?;
            node.extra.push((key, value));
        }
    }
    Ok(())
}
