//! Layout: the order in which Conductor will run the tasks of each list.
//!
//! A wfc task list is a graph (sibling dependencies from references and `after:`, found by the
//! checker: [`TaskGraph`]); Conductor runs a list in order, with forks. This module decides the
//! series-parallel shape of each list ([`Layout::list`]) with the planner ([`plan`]), from the
//! tasks' estimated durations ([`Layout::weight`]). The emitter turns the shapes into JSON,
//! `wfc explain` and `wfc graph --plan` show them: one layout serves all three, so what they
//! show is what is deployed.

use std::collections::BTreeSet;

use rustc_hash::FxHashMap;

use crate::check::TaskGraph;
use crate::model::{TaskId, TaskKind, Workflow};
use crate::plan::{self, Plan, PlanInput};

/// Tasks without `estimate:` count as this many seconds, and so does a compound task with
/// nothing inside.
pub const DEFAULT_WEIGHT_SECONDS: u64 = 1;

/// Compound tasks deeper than this count as [`DEFAULT_WEIGHT_SECONDS`] (a bound on recursion).
const MAX_WEIGHT_DEPTH: usize = 64;

/// The layout of one workflow's task lists.
pub struct Layout<'a> {
    workflow: &'a Workflow,
    /// Successors of each task among its siblings.
    successors: FxHashMap<TaskId, Vec<TaskId>>,
}

/// The layout of one task list. Positions are indices into the list.
#[derive(Debug, Clone, PartialEq)]
pub struct ListLayout {
    /// The sibling dependencies, as `(before, after)` positions; sorted, no duplicates.
    pub edges: Vec<(usize, usize)>,
    /// The units the planner places: one task each, except a raw fork glued to its join.
    /// Numbered by their first task, in the author's order.
    pub units: Vec<Vec<usize>>,
    /// The estimated duration of each unit, in seconds.
    pub weights: Vec<u64>,
    /// The dependencies between units.
    pub unit_edges: Vec<(usize, usize)>,
    /// The series-parallel shape over the units that the emitter turns into forks and joins.
    pub shape: Plan,
}

impl<'a> Layout<'a> {
    pub fn new(workflow: &'a Workflow, graph: &TaskGraph) -> Layout<'a> {
        let mut successors: FxHashMap<TaskId, Vec<TaskId>> = FxHashMap::default();
        for &(from, to) in &graph.dependencies {
            successors.entry(from).or_default().push(to);
        }
        Layout {
            workflow,
            successors,
        }
    }

    /// Lays out one task list.
    pub fn list(&self, list: &[TaskId]) -> ListLayout {
        let edges = self.edges(list);
        let units = glue_units(self.workflow, list, &edges);
        let mut unit_of = vec![0usize; list.len()];
        for (unit, members) in units.iter().enumerate() {
            for member in members {
                unit_of[*member] = unit;
            }
        }
        let mut unit_edges: Vec<(usize, usize)> = edges
            .iter()
            .map(|(from, to)| (unit_of[*from], unit_of[*to]))
            .filter(|(from, to)| from != to)
            .collect();
        unit_edges.sort_unstable();
        unit_edges.dedup();
        let weights: Vec<u64> = units
            .iter()
            .map(|members| {
                members
                    .iter()
                    .map(|member| self.weight_at(list[*member], 0))
                    .sum()
            })
            .collect();
        let shape = plan_list(&weights, &unit_edges);
        ListLayout {
            edges,
            units,
            weights,
            unit_edges,
            shape,
        }
    }

    /// Estimated duration of a task in seconds: its `estimate:`, or for a compound task the
    /// longest path through its lists, else [`DEFAULT_WEIGHT_SECONDS`].
    pub fn weight(&self, id: TaskId) -> u64 {
        self.weight_at(id, 0)
    }

    /// The sibling edges of a list, as positions in it.
    pub fn edges(&self, list: &[TaskId]) -> Vec<(usize, usize)> {
        let position: FxHashMap<TaskId, usize> = list
            .iter()
            .enumerate()
            .map(|(index, id)| (*id, index))
            .collect();
        let mut edges = Vec::new();
        for (from, id) in list.iter().enumerate() {
            for next in self.successors.get(id).map_or(&[][..], Vec::as_slice) {
                if let Some(&to) = position.get(next)
                    && to != from
                {
                    edges.push((from, to));
                }
            }
        }
        edges.sort_unstable();
        edges.dedup();
        edges
    }

    fn weight_at(&self, id: TaskId, depth: usize) -> u64 {
        let task = self.workflow.task(id);
        if let Some(estimate) = task.estimate_ms {
            return estimate.div_ceil(1000).max(1);
        }
        if depth > MAX_WEIGHT_DEPTH {
            return DEFAULT_WEIGHT_SECONDS;
        }
        task.kind
            .bodies()
            .iter()
            .map(|(_, list)| self.list_weight(list, depth + 1))
            .max()
            .unwrap_or(DEFAULT_WEIGHT_SECONDS)
            .max(1)
    }

    fn list_weight(&self, list: &[TaskId], depth: usize) -> u64 {
        let weights: Vec<u64> = list.iter().map(|id| self.weight_at(*id, depth)).collect();
        plan::critical_path(&weights, &self.edges(list))
    }
}

/// Lays out one task list with the planner ([`plan::plan`]): `weights[i]` is the estimated
/// duration of unit `i` (units are numbered in the author's order), each edge `(a, b)` says `b`
/// runs after `a`. A list the planner refuses (a cycle, never in a checked workflow) becomes a
/// topological sequence.
pub fn plan_list(weights: &[u64], edges: &[(usize, usize)]) -> Plan {
    let input = PlanInput {
        weights: weights.to_vec(),
        edges: edges.to_vec(),
    };
    plan::plan(&input).unwrap_or_else(|_| topological_sequence(weights.len(), edges))
}

/// The units in a topological order that prefers the author's order: the ready unit with the
/// smallest number comes first. Units on a cycle follow in the author's order.
pub fn topological_sequence(units: usize, edges: &[(usize, usize)]) -> Plan {
    let mut successors: Vec<Vec<usize>> = vec![Vec::new(); units];
    let mut indegree = vec![0usize; units];
    for &(from, to) in edges {
        if from < units && to < units && from != to {
            successors[from].push(to);
            indegree[to] += 1;
        }
    }
    let mut ready: BTreeSet<usize> = (0..units).filter(|unit| indegree[*unit] == 0).collect();
    let mut order = Vec::with_capacity(units);
    let mut placed = vec![false; units];
    while let Some(unit) = ready.pop_first() {
        order.push(unit);
        placed[unit] = true;
        for &next in &successors[unit] {
            indegree[next] -= 1;
            if indegree[next] == 0 {
                ready.insert(next);
            }
        }
    }
    order.extend((0..units).filter(|unit| !placed[*unit]));
    let mut plans: Vec<Plan> = order.into_iter().map(Plan::Task).collect();
    if plans.len() == 1 {
        plans.remove(0)
    } else {
        Plan::Sequence(plans)
    }
}

/// Raw forks (`FORK_JOIN`/`FORK_JOIN_DYNAMIC` written as raw JSON) and the `join` that waits
/// for them must be adjacent: such a pair is one unit of the layout. Every other task is a unit
/// of its own. Units are numbered by their first task, in the author's order.
fn glue_units(workflow: &Workflow, list: &[TaskId], edges: &[(usize, usize)]) -> Vec<Vec<usize>> {
    let is_raw_fork = |id: TaskId| {
        matches!(
            &workflow.task(id).kind,
            TaskKind::Raw { task_type: Some(task_type), .. }
                if matches!(task_type.value.as_str(), "FORK_JOIN" | "FORK_JOIN_DYNAMIC")
        )
    };
    let is_join = |id: TaskId| match &workflow.task(id).kind {
        TaskKind::Join { .. } => true,
        TaskKind::Raw {
            task_type: Some(task_type),
            ..
        } => task_type.value == "JOIN",
        _ => false,
    };
    let mut partner: Vec<Option<usize>> = vec![None; list.len()];
    let mut glued = vec![false; list.len()];
    for (fork, id) in list.iter().enumerate() {
        if !is_raw_fork(*id) {
            continue;
        }
        let join = edges
            .iter()
            .filter(|(from, to)| *from == fork && !glued[*to] && is_join(list[*to]))
            .map(|(_, to)| *to)
            .min();
        // Gluing is only possible when nothing else lies on a path between the two.
        if let Some(join) = join
            && !reaches_indirectly(list.len(), edges, fork, join)
        {
            partner[fork] = Some(join);
            glued[join] = true;
            glued[fork] = true;
        }
    }
    let mut units = Vec::new();
    for index in 0..list.len() {
        if let Some(join) = partner[index] {
            units.push(vec![index, join]);
        } else if !glued[index] {
            units.push(vec![index]);
        }
    }
    units
}

/// Whether `to` is reachable from `from` through at least one other node.
fn reaches_indirectly(nodes: usize, edges: &[(usize, usize)], from: usize, to: usize) -> bool {
    let mut seen = vec![false; nodes];
    let mut pending: Vec<usize> = edges
        .iter()
        .filter(|(source, target)| *source == from && *target != to)
        .map(|(_, target)| *target)
        .collect();
    while let Some(node) = pending.pop() {
        if node == to {
            return true;
        }
        if node >= nodes || seen[node] {
            continue;
        }
        seen[node] = true;
        pending.extend(
            edges
                .iter()
                .filter(|(source, _)| *source == node)
                .map(|(_, target)| *target),
        );
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topological_sequence_prefers_author_order() {
        assert_eq!(topological_sequence(1, &[]), Plan::Task(0));
        assert_eq!(topological_sequence(0, &[]), Plan::Sequence(Vec::new()));
        assert_eq!(
            topological_sequence(3, &[(2, 0)]),
            Plan::Sequence(vec![Plan::Task(1), Plan::Task(2), Plan::Task(0)])
        );
        // A cycle never loses a unit.
        assert_eq!(
            topological_sequence(3, &[(0, 1), (1, 0)]),
            Plan::Sequence(vec![Plan::Task(2), Plan::Task(0), Plan::Task(1)])
        );
    }
}
