//! Parses `EXPLAIN (FORMAT JSON)` text straight into [`Explain`]s: no intermediate JSON tree.
//!
//! Plan nodes go into a flat arena in pre-order while they are read, so nothing that is built
//! from a plan recurses on its depth. The one recursion left, serde's descent through nested
//! `"Plans"`, runs on a stack that grows on the heap when needed, so a plan nested 100,000 levels
//! deep parses without a stack overflow; fields planlint does not type are kept as raw JSON text,
//! which serde_json skips without recursion.

use std::borrow::Cow;
use std::fmt;

use crate::json_error::message_without_position;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::graph::{NodeId, PlanGraph};
use super::node::{node_type, PlanNode, Relationship};

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

/// Something a reader noticed but read past: where a plan looks cut off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseWarning {
    /// What was noticed, in one sentence without the position.
    pub message: String,
    /// 1-based line in the parsed text.
    pub line: usize,
    /// 1-based column (in bytes) in the parsed text.
    pub column: usize,
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

/// An error of the JSON reader about JSON planlint wrote from another format (YAML, XML): its
/// position in that JSON means nothing to the user, so it is dropped.
pub(super) fn without_position(error: ParseError) -> ParseError {
    ParseError {
        line: 0,
        column: 0,
        truncated: false,
        ..error
    }
}

/// The fewest bytes of JSON a plan node takes, give or take: the first plan's graph is sized
/// from the text by it. Growing a 100,000-node graph step by step would copy it each time,
/// and the copies would be the peak of planlint's memory; reserving too much costs only
/// address space, which is never touched.
const MIN_BYTES_PER_NODE: usize = 256;

/// Parses every plan in `text`: an EXPLAIN result array, a bare `{"Plan": ...}` object, or
/// several of either one after another.
pub fn parse_plans(text: &str) -> Result<Vec<Explain>, ParseError> {
    let mut plans = Vec::new();
    if !text.trim_matches(JSON_WHITESPACE).is_empty() {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        deserializer.disable_recursion_limit();
        // The first document with the size hint; any others (a file of several EXPLAIN
        // results) from the stream, which finds where each ends without an error's cost.
        DocumentSeed {
            plans: &mut plans,
            node_hint: &mut (text.len() / MIN_BYTES_PER_NODE),
        }
        .deserialize(&mut deserializer)?;
        for document in deserializer.into_iter::<Document>() {
            plans.append(&mut document?.0);
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

/// The characters JSON allows between values.
const JSON_WHITESPACE: &[char] = &[' ', '\t', '\n', '\r'];

/// A JSON value of the input after the first: its plans, read without a size hint.
struct Document(Vec<Explain>);

impl<'de> de::Deserialize<'de> for Document {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut plans = Vec::new();
        DocumentSeed {
            plans: &mut plans,
            node_hint: &mut 0,
        }
        .deserialize(deserializer)?;
        Ok(Self(plans))
    }
}

/// Reads one JSON value of the input, an array of EXPLAIN objects or one of them, into `plans`.
struct DocumentSeed<'a> {
    plans: &'a mut Vec<Explain>,
    /// Nodes to reserve room for in the next plan's graph (taken by the first plan).
    node_hint: &'a mut usize,
}

impl<'de> DeserializeSeed<'de> for DocumentSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DocumentSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an EXPLAIN (FORMAT JSON) result: an array of objects with a \"Plan\"")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(explain) = seq.next_element_seed(ExplainVisitor {
            node_hint: &mut *self.node_hint,
        })? {
            self.plans.push(explain);
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let explain = ExplainVisitor {
            node_hint: self.node_hint,
        }
        .visit_map(map)?;
        self.plans.push(explain);
        Ok(())
    }
}

/// Reads one `{"Plan": ..., "Planning Time": ...}` object.
struct ExplainVisitor<'a> {
    node_hint: &'a mut usize,
}

impl<'de> DeserializeSeed<'de> for ExplainVisitor<'_> {
    type Value = Explain;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Explain, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ExplainVisitor<'_> {
    type Value = Explain;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object with a \"Plan\"")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Explain, A::Error> {
        let mut has_plan = false;
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
                    // A repeated "Plan" replaces the first, as in any JSON object.
                    explain.graph = PlanGraph::with_capacity(std::mem::take(self.node_hint));
                    map.next_value_seed(NodeSeed {
                        graph: &mut explain.graph,
                        parent: None,
                    })?;
                    has_plan = true;
                }
                "Planning Time" => explain.planning_time = Some(field(&key, map.next_value())?),
                "Execution Time" => explain.execution_time = Some(field(&key, map.next_value())?),
                "Query Text" => explain.query_text = Some(field(&key, map.next_value())?),
                "Settings" => {
                    let settings: SettingsInOrder = field(&key, map.next_value())?;
                    explain.settings = settings.0;
                }
                _ => explain.extra.push((key, map.next_value()?)),
            }
        }
        if !has_plan {
            return Err(de::Error::custom(
                "object has no \"Plan\": expected the JSON that EXPLAIN (FORMAT JSON) prints",
            ));
        }
        Ok(explain)
    }
}

/// Reads one plan node (and, through `"Plans"`, its subtree) into the graph, in pre-order.
/// `"Settings"` in the order the server printed them, as the text format shows them (a map
/// would sort them: PostgreSQL 16 prints `work_mem` before `enable_partition_pruning`). A
/// value that is not a string is kept as its JSON text.
struct SettingsInOrder(Vec<(String, String)>);

impl<'de> de::Deserialize<'de> for SettingsInOrder {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(SettingsVisitor)
    }
}

/// Reads a `"Settings"` object member by member.
struct SettingsVisitor;

impl<'de> Visitor<'de> for SettingsVisitor {
    type Value = SettingsInOrder;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an object of settings")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SettingsInOrder, A::Error> {
        let mut settings = Vec::new();
        while let Some((name, raw)) = map.next_entry::<String, Box<RawValue>>()? {
            let value =
                serde_json::from_str::<String>(raw.get()).unwrap_or_else(|_| raw.get().to_owned());
            settings.push((name, value));
        }
        Ok(SettingsInOrder(settings))
    }
}

struct NodeSeed<'a> {
    graph: &'a mut PlanGraph,
    parent: Option<NodeId>,
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
        let id = self.graph.add_node();
        let mut has_type = false;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match key.slot {
                Slot::Plans => map.next_value_seed(ChildrenSeed {
                    graph: &mut *self.graph,
                    parent: id,
                })?,
                Slot::Typed(field) => {
                    has_type |= field == Field::NodeType;
                    read_typed_field(self.graph.node_mut(id), field, &key.name, &mut map)?;
                }
                Slot::Untyped => {
                    let value: &RawValue = map.next_value()?;
                    self.graph.node_mut(id).extra.push(&key.name, value.get());
                }
            }
        }
        if !has_type {
            return Err(de::Error::custom("plan node has no \"Node Type\""));
        }
        if let Some(parent) = self.parent {
            self.graph.link(parent, id);
        }
        Ok(())
    }
}

/// Reads the `"Plans"` array of a node.
struct ChildrenSeed<'a> {
    graph: &'a mut PlanGraph,
    parent: NodeId,
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
                graph: &mut *self.graph,
                parent: Some(self.parent),
            })?
            .is_some()
        {}
        Ok(())
    }
}

/// A node's key as read: borrowed from the text unless it had escapes, and what it names.
struct Key<'de> {
    name: Cow<'de, str>,
    slot: Slot,
}

/// Where a node's key goes.
enum Slot {
    /// `"Plans"`: the children.
    Plans,
    /// A typed field.
    Typed(Field),
    /// A field kept verbatim in [`PlanNode::extra`].
    Untyped,
}

impl Slot {
    fn of(name: &str) -> Self {
        if name == "Plans" {
            return Self::Plans;
        }
        Field::named(name).map_or(Self::Untyped, Self::Typed)
    }
}

/// Reads a node's key without allocating (keys with escapes aside).
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key<'de>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_borrowed_str<E: de::Error>(self, name: &'de str) -> Result<Key<'de>, E> {
        Ok(Key {
            slot: Slot::of(name),
            name: Cow::Borrowed(name),
        })
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Key<'de>, E> {
        Ok(Key {
            slot: Slot::of(name),
            name: Cow::Owned(name.to_owned()),
        })
    }
}

/// Reads a string value through a conversion that needs no `String` of its own (a node type
/// or a parent relationship planlint knows, for example).
struct StrWith<F>(F);

impl<'de, T, F: FnOnce(&str) -> T> DeserializeSeed<'de> for StrWith<F> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de, T, F: FnOnce(&str) -> T> Visitor<'de> for StrWith<F> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        Ok((self.0)(text))
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

/// The typed fields of [`PlanNode`], by the keys EXPLAIN prints them under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    NodeType,
    ParentRelationship,
    SubplanName,
    Strategy,
    PartialMode,
    Operation,
    ParallelAware,
    RelationName,
    Schema,
    Alias,
    IndexName,
    CteName,
    FunctionName,
    JoinType,
    StartupCost,
    TotalCost,
    PlanRows,
    PlanWidth,
    ActualTotalTime,
    ActualRows,
    ActualLoops,
    WorkersPlanned,
    Filter,
    IndexCond,
    RecheckCond,
    HashCond,
    MergeCond,
    JoinFilter,
    OneTimeFilter,
    RowsRemovedByFilter,
    SubplansRemoved,
    SharedHitBlocks,
    SharedReadBlocks,
    SharedDirtiedBlocks,
    SharedWrittenBlocks,
    LocalHitBlocks,
    LocalReadBlocks,
    TempReadBlocks,
    TempWrittenBlocks,
}

impl Field {
    /// The field EXPLAIN calls `name`, if planlint types it. The keys every node has come
    /// first: a 100,000-node plan looks up over a million keys.
    fn named(name: &str) -> Option<Self> {
        Some(match name {
            "Node Type" => Self::NodeType,
            "Parent Relationship" => Self::ParentRelationship,
            "Parallel Aware" => Self::ParallelAware,
            "Startup Cost" => Self::StartupCost,
            "Total Cost" => Self::TotalCost,
            "Plan Rows" => Self::PlanRows,
            "Plan Width" => Self::PlanWidth,
            "Relation Name" => Self::RelationName,
            "Alias" => Self::Alias,
            "Filter" => Self::Filter,
            "Actual Total Time" => Self::ActualTotalTime,
            "Actual Rows" => Self::ActualRows,
            "Actual Loops" => Self::ActualLoops,
            "Rows Removed by Filter" => Self::RowsRemovedByFilter,
            "Schema" => Self::Schema,
            "Subplans Removed" => Self::SubplansRemoved,
            "Index Name" => Self::IndexName,
            "Index Cond" => Self::IndexCond,
            "Recheck Cond" => Self::RecheckCond,
            "Shared Hit Blocks" => Self::SharedHitBlocks,
            "Shared Read Blocks" => Self::SharedReadBlocks,
            "Shared Dirtied Blocks" => Self::SharedDirtiedBlocks,
            "Shared Written Blocks" => Self::SharedWrittenBlocks,
            "Local Hit Blocks" => Self::LocalHitBlocks,
            "Local Read Blocks" => Self::LocalReadBlocks,
            "Temp Read Blocks" => Self::TempReadBlocks,
            "Temp Written Blocks" => Self::TempWrittenBlocks,
            "Join Type" => Self::JoinType,
            "Hash Cond" => Self::HashCond,
            "Merge Cond" => Self::MergeCond,
            "Join Filter" => Self::JoinFilter,
            "Strategy" => Self::Strategy,
            "Partial Mode" => Self::PartialMode,
            "Workers Planned" => Self::WorkersPlanned,
            "Subplan Name" => Self::SubplanName,
            "One-Time Filter" => Self::OneTimeFilter,
            "Operation" => Self::Operation,
            "CTE Name" => Self::CteName,
            "Function Name" => Self::FunctionName,
            _ => return None,
        })
    }
}

/// Stores a typed field of a plan node, naming it (`key`) when its value has the wrong type.
fn read_typed_field<'de, A: MapAccess<'de>>(
    node: &mut PlanNode,
    field: Field,
    key: &str,
    map: &mut A,
) -> Result<(), A::Error> {
    macro_rules! typed {
        ($target:expr) => {
            $target = self::field(key, map.next_value())?
        };
    }
    macro_rules! some {
        ($target:expr) => {
            $target = Some(self::field(key, map.next_value())?)
        };
    }
    macro_rules! buffers {
        ($name:ident) => {
            node.buffers.get_or_insert_with(Box::default).$name =
                Some(self::field(key, map.next_value())?)
        };
    }
    match field {
        Field::NodeType => {
            node.node_type = self::field(key, map.next_value_seed(StrWith(node_type)))?;
        }
        Field::ParentRelationship => {
            node.parent_relationship = Some(self::field(
                key,
                map.next_value_seed(StrWith(Relationship::parse)),
            )?);
        }
        Field::SubplanName => some!(node.subplan_name),
        Field::Strategy => some!(node.strategy),
        Field::PartialMode => some!(node.partial_mode),
        Field::Operation => some!(node.operation),
        Field::ParallelAware => typed!(node.parallel_aware),
        Field::RelationName => some!(node.relation_name),
        Field::Schema => some!(node.schema),
        Field::Alias => some!(node.alias),
        Field::IndexName => some!(node.index_name),
        Field::CteName => some!(node.cte_name),
        Field::FunctionName => some!(node.function_name),
        Field::JoinType => some!(node.join_type),
        Field::StartupCost => some!(node.startup_cost),
        Field::TotalCost => some!(node.total_cost),
        Field::PlanRows => some!(node.plan_rows),
        Field::PlanWidth => some!(node.plan_width),
        Field::ActualTotalTime => some!(node.actual_total_time),
        Field::ActualRows => some!(node.actual_rows),
        Field::ActualLoops => some!(node.actual_loops),
        Field::WorkersPlanned => some!(node.workers_planned),
        Field::Filter => some!(node.filter),
        Field::IndexCond => some!(node.index_cond),
        Field::RecheckCond => some!(node.recheck_cond),
        Field::HashCond => some!(node.hash_cond),
        Field::MergeCond => some!(node.merge_cond),
        Field::JoinFilter => some!(node.join_filter),
        Field::OneTimeFilter => some!(node.one_time_filter),
        Field::RowsRemovedByFilter => some!(node.rows_removed_by_filter),
        Field::SubplansRemoved => some!(node.subplans_removed),
        Field::SharedHitBlocks => buffers!(shared_hit),
        Field::SharedReadBlocks => buffers!(shared_read),
        Field::SharedDirtiedBlocks => buffers!(shared_dirtied),
        Field::SharedWrittenBlocks => buffers!(shared_written),
        Field::LocalHitBlocks => buffers!(local_hit),
        Field::LocalReadBlocks => buffers!(local_read),
        Field::TempReadBlocks => buffers!(temp_read),
        Field::TempWrittenBlocks => buffers!(temp_written),
    }
    Ok(())
}
