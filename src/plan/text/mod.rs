//! Reads plans in EXPLAIN's default text format into the same [`Explain`] and [`PlanGraph`]
//! as the JSON reader, so every rule, roll-up and report works whatever the format.
//!
//! The tree is read from indentation alone, one line at a time and without recursion: a node
//! line (`->  Seq Scan on ...`) hangs under the nearest open node whose name starts left of its
//! arrow; a property line (`Filter: ...`) belongs to the nearest open node whose name starts
//! left of it; `InitPlan 1 (returns $0)`, `SubPlan 2` and `CTE name` headers name the subplan
//! below them; lines at the top node's own column (`Planning Time: ...`, `JIT:`, `Settings:`)
//! belong to the plan. Indentation is relative, so any margin (psql's, a log prefix's) and tabs
//! (to the next multiple of 8) are fine. A line that reads as none of these continues the line
//! before it (a line wrapped by a mail client); so does any line, blank or one that reads as a
//! node, while a property's string literal is open: EXPLAIN prints a line break in a literal
//! as it is.
//!
//! # What text does not print, and what is inferred
//! Done in one place, [`infer`]:
//! - `Parent Relationship`: a subplan's comes from its header; children of Append, Merge
//!   Append, BitmapAnd, BitmapOr and Custom Scan are `Member`s, the child of a Subquery Scan
//!   its `Subquery`, the children of a ModifyTable with several (PostgreSQL 12 and 13 plan one
//!   per partition) `Member`s; otherwise the first child is `Outer` and the second `Inner`.
//! - `Subplans Removed: 0` on every Append and Merge Append without the line (text prints it
//!   only when some were removed; JSON always does).
//! - `Rows Removed by Filter: 0` on an executed node that has a Filter but not the line, and
//!   zero buffer counts on executed nodes when the plan shows buffers anywhere (text leaves out
//!   zeros; JSON prints them).
//! - A node that never ran gets the actual time 0 JSON gives it when the plan has timings.
//! - `Alias` is the relation's (function's, CTE's) own name when text prints none: text leaves
//!   out an alias that equals the name.
//! - Text names no parent table for a partition, in either format: the catalog, or the
//!   statement, says which table a partition belongs to, as for JSON.

mod header;
mod infer;
mod lines;
mod property;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::graph::{NodeId, PlanGraph};
use super::node::{PlanNode, Relationship};
use super::parse::{Explain, ParseError, ParseWarning};
use crate::sql::explained_statement;
use header::read_header;
use lines::{logical_lines, subplan_header, without_arrow, Kind, Logical};
use property::{apply, fields, settings, split_key, worker_fields};

/// The fewest bytes of text a plan node takes, give or take (a node line with its estimates):
/// the first plan's graph is sized from the text by it. Reserving too much costs only address
/// space, which is never touched.
const MIN_BYTES_PER_NODE: usize = 64;

/// Plans read from text, with warnings about where the text looked cut off.
#[derive(Debug)]
pub struct TextPlans {
    /// Every plan found, in order.
    pub plans: Vec<Explain>,
    /// Where the text ended inside a plan: it was analysed as far as it goes.
    pub warnings: Vec<ParseWarning>,
}

/// Reads every text-format plan in `text` (without psql's framing: see
/// [`unwrap`](crate::source::unwrap)).
///
/// Lines before the first node (a prompt, the statement, `Query Text:` of auto_explain) and
/// between plans are skipped; a blank line or psql's `(N rows)` footer ends a plan.
pub fn parse_text_plans(text: &str) -> Result<TextPlans, ParseError> {
    let mut reader = Reader {
        node_hint: text.len() / MIN_BYTES_PER_NODE,
        ..Reader::default()
    };
    let lines = logical_lines(text);
    let last = lines
        .iter()
        .rposition(|line| line.kind != Kind::End)
        .unwrap_or(0);
    for (index, line) in lines.iter().enumerate() {
        reader.line(line, index == last)?;
    }
    reader.finish_plan();
    if reader.plans.is_empty() {
        return Err(ParseError {
            message: "no plan found: expected EXPLAIN output, in text (a line such as \
                      `Seq Scan on orders  (cost=...)`), JSON, YAML or XML format"
                .into(),
            line: 1,
            column: 1,
            truncated: false,
            not_a_plan: true,
        });
    }
    Ok(TextPlans {
        plans: reader.plans,
        warnings: reader.warnings,
    })
}

/// A node still open for children and properties.
#[derive(Debug, Clone, Copy)]
struct Open {
    id: NodeId,
    /// The column where its name starts.
    name_column: usize,
}

/// A `Worker N:` block being read under a node.
#[derive(Debug)]
struct Worker {
    node: NodeId,
    column: usize,
    fields: Map<String, Value>,
}

/// A plan-level block being read: `Planning:`, `JIT:`.
#[derive(Debug)]
struct Block {
    key: String,
    fields: Map<String, Value>,
}

/// The plan being read.
#[derive(Debug)]
struct Plan {
    explain: Explain,
    root_column: usize,
    open: Vec<Open>,
    /// (parent, child) pairs, linked once the plan is complete and relationships inferred.
    edges: Vec<(NodeId, NodeId)>,
    /// A subplan header waiting for its node: its column, name and relationship.
    subplan: Option<(usize, String, Relationship)>,
    worker: Option<Worker>,
    workers: Vec<(NodeId, Vec<Value>)>,
    block: Option<Block>,
    triggers: Vec<Value>,
    /// Whether a plan-level line was read: no node can follow.
    summary: bool,
    /// The line number of the last node line, for warnings.
    last_node_line: usize,
    seen: infer::Seen,
}

/// Reads logical lines into plans.
#[derive(Debug, Default)]
struct Reader {
    /// Nodes to reserve room for in the next plan's graph (taken by the first plan): growing
    /// a 100,000-node graph step by step would copy it each time.
    node_hint: usize,
    plans: Vec<Explain>,
    warnings: Vec<ParseWarning>,
    plan: Option<Plan>,
    /// `Query Text:` before a plan (auto_explain), with the lines continuing it.
    query_text: Option<String>,
}

impl Reader {
    fn line(&mut self, line: &Logical, is_last: bool) -> Result<(), ParseError> {
        match line.kind {
            Kind::End => {
                self.finish_plan();
                // `shop=# EXPLAIN ...`: the statement of the plan that follows.
                if let Some(statement) = explained_statement(&line.text) {
                    self.query_text = Some(statement);
                }
            }
            Kind::Arrow => {
                let after = without_arrow(&line.text);
                let name_column = line.indent + (line.text.len() - after.len());
                self.node(line, after, line.indent, name_column, is_last)?;
            }
            Kind::Node => {
                let starts_plan = match &self.plan {
                    None => true,
                    Some(plan) => plan.summary || line.indent <= plan.root_column,
                };
                if starts_plan {
                    self.finish_plan();
                    self.node(line, &line.text, line.indent, line.indent, is_last)?;
                } else {
                    self.property(line)?;
                }
            }
            Kind::Subplan => {
                if let (Some(plan), Some(relationship)) =
                    (&mut self.plan, subplan_header(&line.text))
                {
                    close_deeper(plan, line.indent);
                    plan.subplan = Some((line.indent, line.text.to_string(), relationship));
                }
            }
            Kind::Property | Kind::Other if self.plan.is_none() => {
                if let Some(statement) = explained_statement(&line.text) {
                    // The EXPLAIN command of a pasted session, above its plan.
                    self.query_text = Some(statement);
                    return Ok(());
                }
                if let Some(text) = line.text.strip_prefix("Query Text: ") {
                    // auto_explain's statement, above its plan.
                    self.query_text = Some(text.to_owned());
                } else if let Some(query) = &mut self.query_text {
                    query.push('\n');
                    query.push_str(&line.text);
                }
            }
            Kind::Property => self.property(line)?,
            Kind::Other => {
                return Err(error(
                    line,
                    0,
                    "expected a plan node (`->  Seq Scan on ...`), a property (`Filter: ...`) \
                     or a subplan header (`InitPlan 1`)",
                ));
            }
        }
        Ok(())
    }

    /// A node line: `text` from the node's name on, its arrow at `arrow_column` (the name's
    /// column for a top node).
    fn node(
        &mut self,
        line: &Logical,
        text: &str,
        arrow_column: usize,
        name_column: usize,
        is_last: bool,
    ) -> Result<(), ParseError> {
        let needs_new_plan = match &self.plan {
            None => true,
            Some(plan) => plan.summary || arrow_column <= plan.root_column,
        };
        if needs_new_plan {
            self.finish_plan();
            let nodes = std::mem::take(&mut self.node_hint);
            self.plan = Some(Plan {
                explain: Explain {
                    graph: PlanGraph::with_capacity(nodes),
                    planning_time: None,
                    execution_time: None,
                    settings: Vec::new(),
                    query_text: self.query_text.take(),
                    extra: Vec::new(),
                },
                root_column: name_column,
                open: Vec::new(),
                edges: Vec::with_capacity(nodes),
                subplan: None,
                worker: None,
                workers: Vec::new(),
                block: None,
                triggers: Vec::new(),
                summary: false,
                last_node_line: line.number,
                seen: infer::Seen::default(),
            });
        }
        let plan = self.plan.as_mut().expect("a plan is open");
        close_deeper(plan, arrow_column);
        let id = plan.explain.graph.add_node();
        plan.last_node_line = line.number;
        let node = plan.explain.graph.node_mut(id);
        if let Some((column, name, relationship)) = plan.subplan.take() {
            if column < arrow_column {
                node.subplan_name = Some(name.into());
                node.parent_relationship = Some(relationship);
            }
        }
        if let Err(problem) = read_header(text, node) {
            let offset = line.text.len() - text.len() + problem.offset;
            if !(problem.cut_off && is_last) {
                return Err(error(line, offset, &problem.message));
            }
            self.warnings.push(ParseWarning {
                message: "the plan is cut off here, inside a node line; it was analysed as far \
                          as it goes"
                    .into(),
                line: line.number,
                column: line.indent_bytes + offset + 1,
            });
        }
        let node = plan.explain.graph.node(id);
        plan.seen.analyzed |= node.is_analyzed();
        plan.seen.timed |= node.actual_total_time.is_some();
        if node.is_append() {
            plan.seen.appends.push(id);
        }
        if let Some(parent) = plan.open.last() {
            plan.edges.push((parent.id, id));
        }
        plan.open.push(Open { id, name_column });
        Ok(())
    }

    /// A property line, or a ModifyTable target, of a node or of the plan.
    fn property(&mut self, line: &Logical) -> Result<(), ParseError> {
        let plan = self.plan.as_mut().expect("a plan is open");
        if line.indent <= plan.root_column || plan.summary {
            return plan_level(plan, line);
        }
        close_deeper(plan, line.indent);
        let Some(owner) = plan.open.last().copied() else {
            return plan_level(plan, line);
        };
        if let Some(worker) = &mut plan.worker {
            if worker.node == owner.id && line.indent > worker.column {
                worker_fields(&line.text, &mut worker.fields);
                return Ok(());
            }
        }
        end_worker(plan);
        if line.kind == Kind::Node {
            if plan.explain.graph.node(owner.id).node_type != "ModifyTable" {
                return Err(error(
                    line,
                    0,
                    "a node inside a plan starts with `->  `: the arrow is missing",
                ));
            }
            // A ModifyTable's target: `Update on orders_p1 orders_1`.
            let mut target = PlanNode::default();
            let _ = read_header(&line.text, &mut target);
            let mut table = Map::new();
            for (key, value) in [
                ("Relation Name", target.relation_name.as_deref()),
                ("Schema", target.schema.as_deref()),
                ("Alias", target.alias.as_deref()),
            ] {
                if let Some(value) = value {
                    table.insert(key.into(), Value::from(value));
                }
            }
            push_to_list(plan, owner.id, "Target Tables", Value::Object(table));
            return Ok(());
        }
        let Some((key, value)) = split_key(&line.text) else {
            return Err(error(line, 0, "expected a property such as `Filter: ...`"));
        };
        if let Some(number) = key.strip_prefix("Worker ") {
            let mut fields = Map::new();
            fields.insert("Worker Number".into(), property::scalar(number));
            worker_fields(value, &mut fields);
            plan.worker = Some(Worker {
                node: owner.id,
                column: line.indent,
                fields,
            });
            return Ok(());
        }
        plan.seen.buffered |= key == "Buffers";
        let node = plan.explain.graph.node_mut(owner.id);
        if !apply(node, key, value) {
            let offset = line.text.len() - value.len();
            return Err(error(
                line,
                offset,
                &format!("the value of `{key}` is not what EXPLAIN prints there"),
            ));
        }
        Ok(())
    }

    /// Completes the plan being read, if any.
    fn finish_plan(&mut self) {
        let Some(mut plan) = self.plan.take() else {
            return;
        };
        end_worker(&mut plan);
        end_block(&mut plan);
        if let Some(missing) = infer::missing_input(&plan.explain.graph, &plan.edges) {
            self.warnings.push(ParseWarning {
                message: format!(
                    "the plan ends here, but {missing}: it looks cut off and was analysed as far \
                     as it goes"
                ),
                line: plan.last_node_line,
                column: 1,
            });
        }
        for (id, workers) in plan.workers {
            let value = Value::Array(workers).to_string();
            plan.explain
                .graph
                .node_mut(id)
                .extra
                .push("Workers", &value);
        }
        if !plan.triggers.is_empty() {
            push_extra(&mut plan.explain, "Triggers", Value::Array(plan.triggers));
        }
        infer::complete(&mut plan.explain.graph, &plan.edges, &plan.seen);
        for (parent, child) in plan.edges {
            plan.explain.graph.link(parent, child);
        }
        self.plans.push(plan.explain);
    }
}

/// Closes the open nodes whose name starts at or right of `column`.
fn close_deeper(plan: &mut Plan, column: usize) {
    while plan
        .open
        .last()
        .is_some_and(|open| open.name_column >= column && plan.open.len() > 1)
    {
        plan.open.pop();
    }
}

/// Stores the worker block being read, if any.
fn end_worker(plan: &mut Plan) {
    if let Some(worker) = plan.worker.take() {
        push_to_list(plan, worker.node, "Workers", Value::Object(worker.fields));
    }
}

/// Appends `value` to the list `key` of a node (kept until the plan is complete).
fn push_to_list(plan: &mut Plan, node: NodeId, key: &str, value: Value) {
    if key == "Workers" {
        match plan.workers.iter_mut().find(|(id, _)| *id == node) {
            Some((_, list)) => list.push(value),
            None => plan.workers.push((node, vec![value])),
        }
        return;
    }
    let node = plan.explain.graph.node_mut(node);
    node.extra.push(key, &Value::Array(vec![value]).to_string());
}

/// Stores the plan-level block being read, if any.
fn end_block(plan: &mut Plan) {
    if let Some(block) = plan.block.take() {
        push_extra(&mut plan.explain, &block.key, Value::Object(block.fields));
    }
}

/// Adds a plan-level field.
fn push_extra(explain: &mut Explain, key: &str, value: Value) {
    let raw = RawValue::from_string(value.to_string()).expect("a serialized value is JSON");
    explain.extra.push((key.to_owned(), raw));
}

/// A line of the plan itself: `Planning Time: 0.1 ms`, `Settings: ...`, `JIT:` and the lines
/// of its block, `Trigger ...: time=... calls=...`.
fn plan_level(plan: &mut Plan, line: &Logical) -> Result<(), ParseError> {
    plan.summary = true;
    end_worker(plan);
    let Some((key, value)) = split_key(&line.text) else {
        return Err(error(
            line,
            0,
            "expected a line such as `Planning Time: 0.1 ms` after the plan's nodes",
        ));
    };
    if line.indent > plan.root_column {
        if let Some(block) = &mut plan.block {
            block.fields.extend(fields(key, value));
            return Ok(());
        }
    }
    end_block(plan);
    let milliseconds = |value: &str| {
        value
            .strip_suffix(" ms")
            .unwrap_or(value)
            .parse::<f64>()
            .ok()
    };
    match key {
        "Planning Time" | "Execution Time" => {
            let Some(time) = milliseconds(value) else {
                return Err(error(
                    line,
                    line.text.len() - value.len(),
                    &format!("expected `{key}: MILLISECONDS ms`"),
                ));
            };
            if key == "Planning Time" {
                plan.explain.planning_time = Some(time);
            } else {
                plan.explain.execution_time = Some(time);
            }
        }
        "Settings" => plan.explain.settings = settings(value),
        _ if value.is_empty() => {
            plan.block = Some(Block {
                key: key.to_owned(),
                fields: Map::new(),
            });
        }
        _ if key.starts_with("Trigger ") => {
            let mut trigger = Map::new();
            trigger.insert(
                "Trigger Name".into(),
                Value::from(key.trim_start_matches("Trigger ")),
            );
            for part in value.split_whitespace() {
                if let Some((name, number)) = part.split_once('=') {
                    let name = match name {
                        "time" => "Time",
                        "calls" => "Calls",
                        other => other,
                    };
                    trigger.insert(name.into(), property::scalar(number));
                }
            }
            plan.triggers.push(Value::Object(trigger));
        }
        _ => {
            for (key, value) in fields(key, value) {
                push_extra(&mut plan.explain, &key, value);
            }
        }
    }
    Ok(())
}

/// A parse error on `line`, at byte `offset` of its text (after the indentation).
fn error(line: &Logical, offset: usize, message: &str) -> ParseError {
    ParseError {
        message: message.to_owned(),
        line: line.number,
        column: line.indent_bytes + offset + 1,
        truncated: false,
        not_a_plan: false,
    }
}
