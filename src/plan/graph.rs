//! The plan as a petgraph graph: nodes in pre-order, edges labelled by parent relationship.

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;

use super::label::node_label;
use super::node::{PlanNode, Relationship};

/// A node's stable id: its index in pre-order (the root is 0).
pub type NodeId = NodeIndex<u32>;

/// A plan tree held as a directed graph from parent to child.
///
/// Node ids are pre-order indexes, so a parent's id is always smaller than its children's and
/// every walk over the plan can be a loop over ids instead of a recursion.
#[derive(Debug, Default)]
pub struct PlanGraph {
    graph: DiGraph<PlanNode, Relationship, u32>,
}

impl PlanGraph {
    /// An empty graph with room for `nodes` nodes (and the edges between them).
    pub(crate) fn with_capacity(nodes: usize) -> Self {
        Self {
            graph: DiGraph::with_capacity(nodes, nodes.saturating_sub(1)),
        }
    }

    /// Adds an empty node, to be filled in with [`PlanGraph::node_mut`], and returns its id.
    /// The parser adds nodes in pre-order, which is what makes ids pre-order indexes.
    pub(crate) fn add_node(&mut self) -> NodeId {
        self.graph.add_node(PlanNode::default())
    }

    /// The node with this id, to fill in while it is parsed.
    pub(crate) fn node_mut(&mut self, id: NodeId) -> &mut PlanNode {
        &mut self.graph[id]
    }

    /// Hangs `child` under `parent`, the edge labelled with the child's parent relationship.
    pub(crate) fn link(&mut self, parent: NodeId, child: NodeId) {
        debug_assert!(parent < child, "plan nodes are added in pre-order");
        let relationship = self.graph[child]
            .parent_relationship
            .clone()
            .unwrap_or(Relationship::Outer);
        self.graph.add_edge(parent, child, relationship);
    }

    /// The underlying petgraph graph, for algorithms planlint does not wrap.
    pub fn inner(&self) -> &DiGraph<PlanNode, Relationship, u32> {
        &self.graph
    }

    /// The number of nodes in the plan.
    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    /// Whether the plan has no nodes.
    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    /// The root node, if the plan has any.
    pub fn root(&self) -> Option<NodeId> {
        (!self.is_empty()).then(|| NodeIndex::new(0))
    }

    /// Every node id, in pre-order.
    pub fn ids(&self) -> impl DoubleEndedIterator<Item = NodeId> + ExactSizeIterator {
        self.graph.node_indices()
    }

    /// The node with this id.
    pub fn node(&self, id: NodeId) -> &PlanNode {
        &self.graph[id]
    }

    /// The node's parent, or `None` for the root.
    pub fn parent(&self, id: NodeId) -> Option<NodeId> {
        self.graph
            .neighbors_directed(id, Direction::Incoming)
            .next()
    }

    /// The node's children in the order the plan lists them.
    pub fn children(&self, id: NodeId) -> Vec<NodeId> {
        let mut children: Vec<NodeId> = self
            .graph
            .neighbors_directed(id, Direction::Outgoing)
            .collect();
        children.sort_unstable();
        children
    }

    /// The node's only input, when it has exactly one besides its InitPlans and SubPlans: what
    /// a Hash, Materialize, Sort, Gather or Result passes rows on from.
    pub fn single_input(&self, id: NodeId) -> Option<NodeId> {
        let mut inputs = self.children(id).into_iter().filter(|&child| {
            !matches!(
                self.relationship(child),
                Some(Relationship::InitPlan | Relationship::SubPlan)
            )
        });
        let input = inputs.next()?;
        inputs.next().is_none().then_some(input)
    }

    /// How the node hangs under its parent (the label of the edge into it).
    pub fn relationship(&self, id: NodeId) -> Option<&Relationship> {
        self.graph
            .edges_directed(id, Direction::Incoming)
            .next()
            .map(|edge| edge.weight())
    }

    /// The node's ancestors, nearest first.
    pub fn ancestors(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        std::iter::successors(self.parent(id), move |&node| self.parent(node))
    }

    /// Each node's depth below the root (0 for the root), indexed by node id.
    pub fn depths(&self) -> Vec<usize> {
        let mut depths = vec![0; self.len()];
        for id in self.ids() {
            if let Some(parent) = self.parent(id) {
                depths[id.index()] = depths[parent.index()] + 1;
            }
        }
        depths
    }

    /// The node as EXPLAIN's text format would name it, e.g. `Parallel Seq Scan on orders_p3`.
    pub fn label(&self, id: NodeId) -> String {
        node_label(self.node(id))
    }

    /// The node's readable path from the root, e.g. `Gather > Append > Seq Scan on orders_p3`.
    pub fn path(&self, id: NodeId) -> String {
        let mut labels: Vec<String> = self.ancestors(id).map(|node| self.label(node)).collect();
        labels.reverse();
        labels.push(self.label(id));
        labels.join(" > ")
    }
}
