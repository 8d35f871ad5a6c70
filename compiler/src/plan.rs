//! Planning: turning a task DAG into the series-parallel structure Conductor can run.
//!
//! Authors write tasks keyed by name; data references and `after:` lists make a DAG. Conductor
//! only has sequences and `FORK_JOIN` (parallel branches, each a sequence, followed by a `JOIN`
//! that waits for every branch), so a workflow is a *series-parallel* tree: [`Plan`]. This module
//! is the pure algorithm: numbered nodes with estimated durations in, a [`Plan`] out. It knows
//! nothing of workflows.
//!
//! A plan respects an edge `a → b` when `a` finishes before `b` starts under fork/join semantics,
//! i.e. when the lowest common ancestor of `a` and `b` is a [`Plan::Sequence`] holding `a` in an
//! earlier child than `b`. The order a plan imposes is a *series-parallel order*; every such order
//! that contains the DAG's reachability order is a valid plan, and its makespan (see [`makespan`])
//! is the weight of its longest chain.
//!
//! The algorithm ([`plan`]):
//!
//! 1. **Exact decomposition.** A set of nodes splits in parallel into its weakly connected
//!    components, and in series at every position of a topological order where each maximal
//!    node before the position has an edge to each minimal node after it (one linear sweep finds
//!    all such cuts, without computing the transitive reduction). Sets alternate between the two
//!    splits. Where the DAG's order is series-parallel this recovers it exactly: no false
//!    barriers, makespan equal to the critical path. The components of a series block are
//!    searched from its boundary with the other blocks when those are small, and the series cuts
//!    of a block, or of the largest component of one, are read from counts carried down from the
//!    sweep of its parent (see `Planner::counts`), so a deeply nested set that sheds a few nodes
//!    per level is neither searched nor swept whole at every level.
//! 2. **Prime blocks.** A connected set of two or more nodes with no series cut is not
//!    series-parallel: some order has to be added, and the plan of such a block is a sequence
//!    whose first step is a downset of it. Blocks of at most [`EXACT_MAX`] nodes are solved
//!    optimally by dynamic programming over their downsets (stopping at a set's critical path,
//!    and remembering solved blocks by shape and weights). Larger blocks take the better of
//!    two encodings, each planned recursively (so whatever is series-parallel inside them is
//!    again emitted exactly):
//!    - *staged*: a sequence of stages, each the nodes of up to three consecutive levels, chosen
//!      by dynamic programming over the levels. With one level per stage this is plain level
//!      waves, so a block is never slower than its waves;
//!    - *cut*: a downset and the rest, the split minimising the sum of the two parts' critical
//!      paths (the optimum of that bound is a threshold on earliest finish times; large blocks
//!      only take balanced splits). Blocks of up to a few hundred nodes try the three best
//!      splits and keep the fastest result.
//!
//!    Neither encoding is planned further than it can matter: the cut goes first, and the
//!    staged encoding stops as soon as its stages so far plus the heaviest path left exceed
//!    the cut's makespan; a candidate cut whose two critical paths already exceed the fastest
//!    one so far is not planned. Both sides of a large cut are planned at once, on two threads
//!    when one is free; their budgets are fixed before either starts, so the plan does not
//!    depend on the number of threads.
//! 3. **Never worse than waves.** The result is compared with plain level waves of the whole DAG
//!    ([`level_waves`]) and the faster one is kept.
//!
//! Ties keep the author's order: parallel branches are ordered by their smallest node.
//!
//! Work is bounded. The exact decomposition is linear per level of nesting; the search over
//! prime blocks runs within a budget proportional to the size of the graph, and below a recursion
//! depth limit, after which remaining prime blocks are encoded as level waves.
//! Typical sparse DAGs of 100,000 nodes plan in well under a second (docs/benchmarks.md).

use std::fmt;

use rustc_hash::FxHashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The planner's input: node `i` has estimated duration `weights[i]`, and each edge `(a, b)`
/// means `a` must finish before `b` starts. Nodes are numbered in the author's order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanInput {
    /// One estimated duration per node; callers use 1 when nothing better is known.
    pub weights: Vec<u64>,
    /// Dependencies `(from, to)`. Duplicates are allowed; cycles are reported as errors.
    pub edges: Vec<(usize, usize)>,
}

/// A series-parallel execution plan. Every node appears exactly once.
///
/// Plans produced by [`plan`] and [`level_waves`] are normalised: no `Sequence` or `Parallel`
/// has a single child, a `Sequence` never directly holds a `Sequence` nor a `Parallel` a
/// `Parallel`, and the branches of a `Parallel` are ordered by their smallest node. The only
/// empty container is the plan of an empty input, `Sequence(vec![])`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Plan {
    /// Run one node.
    Task(usize),
    /// Run the children one after the other.
    Sequence(Vec<Plan>),
    /// Run the children as parallel branches, and wait for all of them.
    Parallel(Vec<Plan>),
}

/// Why [`plan`] could not plan an input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanError {
    /// An edge names a node at or beyond `nodes` (the number of weights).
    UnknownNode { edge: (usize, usize), nodes: usize },
    /// The edges contain a cycle; `cycle` lists its nodes in edge order, starting with the
    /// smallest.
    Cycle { cycle: Vec<usize> },
}

impl fmt::Display for PlanError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::UnknownNode { edge, nodes } => write!(
                formatter,
                "edge {} → {} names a node that does not exist (there are {nodes} nodes)",
                edge.0, edge.1
            ),
            PlanError::Cycle { cycle } => {
                write!(formatter, "the dependencies contain a cycle: ")?;
                for node in cycle {
                    write!(formatter, "{node} → ")?;
                }
                match cycle.first() {
                    Some(first) => write!(formatter, "{first}"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl std::error::Error for PlanError {}

/// Prime blocks (connected, no series cut) of at most this many nodes, as found by the exact
/// decomposition, are planned optimally: dynamic programming over downsets, at most
/// 3^`EXACT_MAX` steps per block. (Inside the heuristic search, smaller blocks only.)
pub const EXACT_MAX: usize = 10;

/// How deep the decomposition and search may recurse before remaining sets become level waves.
/// This bounds the stack, and the nesting depth of plans (and of the Conductor JSON made from
/// them).
const MAX_DEPTH: usize = 160;

/// Work budget per node and edge of the input, for the recursive search over prime blocks.
const BUDGET_PER_ELEMENT: u64 = 600;

/// Work budget every input gets regardless of its size, so small graphs never run short.
const BUDGET_BASE: u64 = 4_000_000;

/// Plans `input`: a series-parallel [`Plan`] that respects every edge, equal to the DAG's own
/// structure where that is series-parallel and otherwise adding as little waiting as the
/// heuristics find, never slower than [`level_waves`]. Deterministic.
pub fn plan(input: &PlanInput) -> Result<Plan, PlanError> {
    // Only a cut with two sides of at least `INDEPENDENT_SIDE_MIN` nodes uses a thread.
    let spare_threads = if input.weights.len() < 2 * INDEPENDENT_SIDE_MIN {
        0
    } else {
        crate::threads::available() - 1
    };
    plan_with_threads(input, spare_threads)
}

/// [`plan`] with at most `spare_threads` extra threads; the result does not depend on it.
fn plan_with_threads(input: &PlanInput, spare_threads: usize) -> Result<Plan, PlanError> {
    plan_with(input, spare_threads, true)
}

/// [`plan_with_threads`], carrying series counts down the decomposition or not (tests compare
/// both: carrying them only saves sweeps).
fn plan_with(
    input: &PlanInput,
    spare_threads: usize,
    carry_counts: bool,
) -> Result<Plan, PlanError> {
    let nodes = input.weights.len();
    if let Some(&edge) = input
        .edges
        .iter()
        .find(|(from, to)| *from >= nodes || *to >= nodes)
    {
        return Err(PlanError::UnknownNode { edge, nodes });
    }
    let graph = Graph::new(nodes, &input.edges);
    if graph.topo.len() < nodes {
        return Err(PlanError::Cycle {
            cycle: graph.find_cycle(),
        });
    }
    if nodes == 0 {
        return Ok(Plan::Sequence(Vec::new()));
    }
    let spare_threads = AtomicUsize::new(spare_threads);
    let mut planner = Planner::new(&graph, &input.weights, &spare_threads);
    planner.carry_counts = carry_counts;
    let all = graph.topo.clone();
    let waves_span = planner.waves(&all).0;
    let found = planner.solve(&all, Known::Nothing, 0, ROOT_EFFORT);
    let chosen = if found.span <= waves_span {
        found.plan
    } else {
        planner.waves_plan(&all)
    };
    Ok(normalize(chosen).0)
}

/// Plain level waves: `Sequence[Parallel[level 0], Parallel[level 1], …]`, where a node's level
/// is the length (in edges) of the longest path reaching it. The baseline [`plan`] never loses
/// to.
///
/// Invalid input does not panic: edges naming unknown nodes are ignored, and nodes on or after a
/// cycle form one last wave (so every node still appears once; [`validate`] reports the edges
/// such a plan breaks).
pub fn level_waves(input: &PlanInput) -> Plan {
    let nodes = input.weights.len();
    let graph = Graph::new_lenient(nodes, &input.edges);
    let no_threads = AtomicUsize::new(0);
    let mut planner = Planner::new(&graph, &input.weights, &no_threads);
    let ordered = graph.topo.clone();
    let mut waves = match planner.waves_plan(&ordered) {
        Plan::Sequence(waves) => waves,
        other => vec![other],
    };
    if ordered.len() < nodes {
        let mut placed = vec![false; nodes];
        for &node in &ordered {
            placed[node] = true;
        }
        let rest: Vec<Plan> = (0..nodes)
            .filter(|&node| !placed[node])
            .map(Plan::Task)
            .collect();
        waves.push(Plan::Parallel(rest));
    }
    normalize(Plan::Sequence(waves)).0
}

/// The time `plan` takes under fork/join semantics: a task takes its weight, a sequence the sum
/// of its children, a parallel block the longest of its branches. Nodes without a weight count
/// as 1; sums saturate.
pub fn makespan(plan: &Plan, weights: &[u64]) -> u64 {
    // Iterative post-order, so that deeply nested plans cannot overflow the stack.
    enum Step<'a> {
        Enter(&'a Plan),
        Exit(&'a Plan, usize),
    }
    let mut steps = vec![Step::Enter(plan)];
    let mut values: Vec<u64> = Vec::new();
    while let Some(step) = steps.pop() {
        match step {
            Step::Enter(Plan::Task(node)) => values.push(weights.get(*node).copied().unwrap_or(1)),
            Step::Enter(container) => {
                let children = match container {
                    Plan::Sequence(children) | Plan::Parallel(children) => children,
                    Plan::Task(_) => &[][..],
                };
                steps.push(Step::Exit(container, values.len()));
                steps.extend(children.iter().rev().map(Step::Enter));
            }
            Step::Exit(container, base) => {
                let value = match container {
                    Plan::Parallel(_) => values[base..].iter().copied().max().unwrap_or(0),
                    _ => values[base..]
                        .iter()
                        .fold(0u64, |sum, &value| sum.saturating_add(value)),
                };
                values.truncate(base);
                values.push(value);
            }
        }
    }
    values.pop().unwrap_or(0)
}

/// The weight of the heaviest path: a lower bound on the makespan of any plan. Edges naming
/// unknown nodes are ignored, and so are nodes on or after a cycle.
pub fn critical_path(weights: &[u64], edges: &[(usize, usize)]) -> u64 {
    let graph = Graph::new_lenient(weights.len(), edges);
    let mut finish = vec![0u64; weights.len()];
    let mut longest = 0;
    for &node in &graph.topo {
        let start = graph
            .preds(node)
            .iter()
            .map(|&pred| finish[pred])
            .max()
            .unwrap_or(0);
        finish[node] = start.saturating_add(weights[node]);
        longest = longest.max(finish[node]);
    }
    longest
}

/// Checks that `plan` holds every node of `input` exactly once and respects every edge.
pub fn validate(plan: &Plan, input: &PlanInput) -> Result<(), String> {
    let nodes = input.weights.len();
    // Flatten the tree into parent links; `slot[i]` is the position of plan node `i` among its
    // parent's children.
    let mut parent: Vec<usize> = Vec::new();
    let mut slot: Vec<usize> = Vec::new();
    let mut is_sequence: Vec<bool> = Vec::new();
    let mut depth: Vec<usize> = Vec::new();
    let mut leaf = vec![usize::MAX; nodes];
    let mut pending = vec![(plan, usize::MAX, 0usize, 0usize)];
    while let Some((item, up, position, level)) = pending.pop() {
        let id = parent.len();
        parent.push(up);
        slot.push(position);
        depth.push(level);
        match item {
            Plan::Task(node) => {
                is_sequence.push(false);
                if *node >= nodes {
                    return Err(format!("task {node} does not exist ({nodes} nodes)"));
                }
                if leaf[*node] != usize::MAX {
                    return Err(format!("task {node} appears more than once"));
                }
                leaf[*node] = id;
            }
            Plan::Sequence(children) | Plan::Parallel(children) => {
                is_sequence.push(matches!(item, Plan::Sequence(_)));
                for (position, child) in children.iter().enumerate() {
                    pending.push((child, id, position, level + 1));
                }
            }
        }
    }
    if let Some(missing) = leaf.iter().position(|&id| id == usize::MAX) {
        return Err(format!("task {missing} is missing"));
    }
    for &(from, to) in &input.edges {
        if from >= nodes || to >= nodes {
            return Err(format!("edge {from} → {to} names an unknown node"));
        }
        let (mut a, mut b) = (leaf[from], leaf[to]);
        if a == b {
            return Err(format!("edge {from} → {to} is a self-loop"));
        }
        // Climb to the children of the lowest common ancestor.
        while depth[a] > depth[b] {
            a = parent[a];
        }
        while depth[b] > depth[a] {
            b = parent[b];
        }
        while a != b && parent[a] != parent[b] {
            a = parent[a];
            b = parent[b];
        }
        // Now `a` and `b` are children of the same container (or one contains the other, which
        // cannot happen for two distinct leaves).
        let common = parent[a];
        if a == b || common == usize::MAX {
            return Err(format!("edge {from} → {to}: malformed plan"));
        }
        if !is_sequence[common] {
            return Err(format!(
                "edge {from} → {to} is not respected: both run in parallel branches"
            ));
        }
        if slot[a] >= slot[b] {
            return Err(format!(
                "edge {from} → {to} is not respected: {to} runs before {from}"
            ));
        }
    }
    Ok(())
}

/// Flattens nested sequences and parallels, drops single-child and empty containers, and orders
/// parallel branches by their smallest node. Returns the plan and its smallest node.
fn normalize(plan: Plan) -> (Plan, usize) {
    match plan {
        Plan::Task(node) => (Plan::Task(node), node),
        Plan::Sequence(children) => {
            let mut flat = Vec::with_capacity(children.len());
            let mut smallest = usize::MAX;
            for child in children {
                let (child, least) = normalize(child);
                smallest = smallest.min(least);
                match child {
                    Plan::Sequence(inner) => flat.extend(inner),
                    other => flat.push(other),
                }
            }
            if flat.len() == 1
                && let Some(only) = flat.pop()
            {
                return (only, smallest);
            }
            (Plan::Sequence(flat), smallest)
        }
        Plan::Parallel(children) => {
            let mut flat: Vec<(usize, Plan)> = Vec::with_capacity(children.len());
            for child in children {
                match normalize(child) {
                    (Plan::Parallel(inner), _) => flat.extend(
                        inner
                            .into_iter()
                            .map(|branch| (smallest_node(&branch), branch)),
                    ),
                    (Plan::Sequence(inner), _) if inner.is_empty() => {}
                    (other, least) => flat.push((least, other)),
                }
            }
            flat.sort_by_key(|(least, _)| *least);
            let smallest = flat.first().map_or(usize::MAX, |(least, _)| *least);
            if flat.len() == 1
                && let Some((least, only)) = flat.pop()
            {
                return (only, least);
            }
            (
                Plan::Parallel(flat.into_iter().map(|(_, branch)| branch).collect()),
                smallest,
            )
        }
    }
}

fn smallest_node(plan: &Plan) -> usize {
    match plan {
        Plan::Task(node) => *node,
        Plan::Sequence(children) | Plan::Parallel(children) => children
            .iter()
            .map(smallest_node)
            .min()
            .unwrap_or(usize::MAX),
    }
}

/// The DAG in compressed adjacency form, duplicates removed, with a topological order.
struct Graph {
    succ_start: Vec<usize>,
    succ: Vec<usize>,
    pred_start: Vec<usize>,
    pred: Vec<usize>,
    /// Nodes in topological order (Kahn's algorithm, ties by node number). Shorter than the
    /// number of nodes when there is a cycle.
    topo: Vec<usize>,
}

impl Graph {
    /// `edges` must name existing nodes.
    fn new(nodes: usize, edges: &[(usize, usize)]) -> Graph {
        let mut sorted = edges.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let mut succ_start = vec![0usize; nodes + 1];
        let mut pred_start = vec![0usize; nodes + 1];
        for &(from, to) in &sorted {
            succ_start[from + 1] += 1;
            pred_start[to + 1] += 1;
        }
        for node in 0..nodes {
            succ_start[node + 1] += succ_start[node];
            pred_start[node + 1] += pred_start[node];
        }
        let succ = sorted.iter().map(|&(_, to)| to).collect();
        let mut pred = vec![0usize; sorted.len()];
        let mut next = pred_start.clone();
        for &(from, to) in &sorted {
            pred[next[to]] = from;
            next[to] += 1;
        }
        let mut graph = Graph {
            succ_start,
            succ,
            pred_start,
            pred,
            topo: Vec::new(),
        };
        graph.topo = graph.kahn();
        graph
    }

    /// Like [`Graph::new`], ignoring edges that name unknown nodes.
    fn new_lenient(nodes: usize, edges: &[(usize, usize)]) -> Graph {
        let valid: Vec<(usize, usize)> = edges
            .iter()
            .copied()
            .filter(|&(from, to)| from < nodes && to < nodes)
            .collect();
        Graph::new(nodes, &valid)
    }

    fn nodes(&self) -> usize {
        self.succ_start.len() - 1
    }

    fn succs(&self, node: usize) -> &[usize] {
        &self.succ[self.succ_start[node]..self.succ_start[node + 1]]
    }

    fn preds(&self, node: usize) -> &[usize] {
        &self.pred[self.pred_start[node]..self.pred_start[node + 1]]
    }

    fn kahn(&self) -> Vec<usize> {
        let nodes = self.nodes();
        let mut waiting: Vec<usize> = (0..nodes).map(|node| self.preds(node).len()).collect();
        let mut order: Vec<usize> = (0..nodes).filter(|&node| waiting[node] == 0).collect();
        let mut next = 0;
        while next < order.len() {
            let node = order[next];
            next += 1;
            for &succ in self.succs(node) {
                waiting[succ] -= 1;
                if waiting[succ] == 0 {
                    order.push(succ);
                }
            }
        }
        order
    }

    /// A cycle among the nodes Kahn's algorithm could not order: each of them has a predecessor
    /// among them, so walking predecessors must come back to a node already seen.
    fn find_cycle(&self) -> Vec<usize> {
        let nodes = self.nodes();
        let mut ordered = vec![false; nodes];
        for &node in &self.topo {
            ordered[node] = true;
        }
        let Some(start) = (0..nodes).find(|&node| !ordered[node]) else {
            return Vec::new();
        };
        let mut seen_at = vec![usize::MAX; nodes];
        let mut walk = Vec::new();
        let mut node = start;
        while seen_at[node] == usize::MAX {
            seen_at[node] = walk.len();
            walk.push(node);
            match self.preds(node).iter().find(|&&pred| !ordered[pred]) {
                Some(&pred) => node = pred,
                None => return walk,
            }
        }
        let mut cycle: Vec<usize> = walk[seen_at[node]..].to_vec();
        cycle.reverse();
        if let Some(least) = cycle
            .iter()
            .enumerate()
            .min_by_key(|(_, node)| **node)
            .map(|(index, _)| index)
        {
            cycle.rotate_left(least);
        }
        cycle
    }
}

/// What is already known about a set of nodes handed to [`Planner::solve`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Known {
    Nothing,
    /// Weakly connected: a component of its parent set.
    Connected,
    /// Has no series cut: a block of its parent's series decomposition.
    NoSeries,
}

/// A plan under construction with its makespan.
struct Part {
    plan: Plan,
    span: u64,
}

/// How hard to look for a prime block's plan.
#[derive(Clone, Copy)]
struct Effort {
    /// The staged encoding may group up to this many consecutive levels into one stage; below
    /// 2, only level waves, and no cuts.
    horizon: usize,
    /// Blocks of at most this many nodes are solved exactly.
    exact: usize,
}

/// Prime blocks found by the exact decomposition itself.
const ROOT_EFFORT: Effort = Effort {
    horizon: 3,
    exact: EXACT_MAX,
};

/// Blocks inside a stage of the staged encoding are solved exactly up to this size only: there
/// are many of them, and each is one of several alternatives.
const EXACT_MAX_IN_SEARCH: usize = 6;

/// Stages of the parts on either side of a cut span at most this many levels.
const HORIZON_AFTER_CUT: usize = 2;

/// Cuts of blocks larger than this leave at least [`BALANCE_PERCENT`] of the nodes on each
/// side: balanced cuts keep the recursion shallow, and make better plans than peeling a few
/// nodes at a time.
const BALANCE_MIN_BLOCK: usize = 30;
const BALANCE_PERCENT: usize = 20;

/// Blocks of at most [`CANDIDATES_MAX_BLOCK`] nodes try the [`CANDIDATES`] best cuts by the
/// bound and keep the fastest result, with at most [`CANDIDATES_NESTING`] such blocks nested,
/// while the search budget (work done inside them) lasts.
const CANDIDATES: usize = 3;
const CANDIDATES_MAX_BLOCK: usize = 300;
const CANDIDATES_NESTING: usize = 3;
const SEARCH_BUDGET_BASE: u64 = 1_000_000;
const SEARCH_BUDGET_PER_ELEMENT: u64 = 30;

/// A cut whose two sides both have at least this many nodes plans the side after the cut
/// independently (on a re-indexed copy of that side, with half of the remaining budgets), on
/// another thread when one is free. The split of the budgets never depends on whether a thread
/// was free, so the plan is the same on any machine.
const INDEPENDENT_SIDE_MIN: usize = 1_500;

const NONE: usize = usize::MAX;

/// Sets whose largest component is smaller than this are not counted
/// ([`Planner::counts_of_components`] is for the big component of a deep decomposition).
const COUNTED_COMPONENT_MIN: usize = 64;

struct Planner<'a> {
    graph: &'a Graph,
    weights: &'a [u64],
    /// `member[v] == stamp` when `v` belongs to the set being examined.
    member: Vec<u32>,
    /// `side[v] == stamp` when `v` is before the cut in the series sweep / prime cut.
    side: Vec<u32>,
    stamp: u32,
    /// Scratch per node: component labels, counters, levels, local indices.
    first: Vec<usize>,
    second: Vec<usize>,
    /// Scratch per node: earliest finish and tail (heaviest path starting at the node).
    finish: Vec<u64>,
    tail: Vec<u64>,
    /// Per node, the counts of the last series sweep over a set holding it, at the position
    /// right after the node: maximal nodes before, minimal nodes after, and edges between those
    /// (see [`Planner::series_blocks`]). They stay valid for the node's series block, and give a
    /// component's counts once the other components' are taken off
    /// ([`Planner::counts_of_components`]), so a deep decomposition does not sweep its big set
    /// again at every level.
    counts: Vec<[u64; 3]>,
    /// Whether [`Planner::counts`] is carried down at all (always, but in a test that shows it
    /// changes no plan).
    carry_counts: bool,
    /// Scratch per node: the component of a set holding the node, for
    /// [`Planner::counts_of_components`].
    component_of: Vec<usize>,
    /// Work left (roughly, node and edge visits) before remaining blocks become level waves.
    budget: u64,
    /// Work left for trying several cuts per block.
    search_budget: u64,
    /// How many enclosing blocks are trying several cuts.
    nesting: usize,
    /// Threads that may still be started for independent sides, shared by every planner of one
    /// [`plan`] call.
    spare_threads: &'a AtomicUsize,
    /// Scratch stack of [`Planner::components`], kept to save an allocation per call.
    stack: Vec<usize>,
    /// Scratch tables of [`Planner::exact`], kept to save allocations per block.
    exact_tables: ExactTables,
    /// Blocks [`Planner::exact`] has solved, by shape and weights (the predecessor masks of the
    /// block's nodes in topological order, then their weights): the makespan and the plan over
    /// the block's local numbers.
    exact_memo: FxHashMap<Vec<u64>, (u64, Plan)>,
}

impl<'a> Planner<'a> {
    fn new(graph: &'a Graph, weights: &'a [u64], spare_threads: &'a AtomicUsize) -> Self {
        let nodes = graph.nodes();
        let elements = (nodes + graph.succ.len()) as u64;
        Planner {
            spare_threads,
            graph,
            weights,
            member: vec![0; nodes],
            side: vec![0; nodes],
            stamp: 0,
            first: vec![NONE; nodes],
            second: vec![NONE; nodes],
            finish: vec![0; nodes],
            tail: vec![0; nodes],
            counts: vec![[0; 3]; nodes],
            carry_counts: true,
            component_of: vec![0; nodes],
            budget: BUDGET_BASE.saturating_add(elements.saturating_mul(BUDGET_PER_ELEMENT)),
            search_budget: SEARCH_BUDGET_BASE
                .saturating_add(elements.saturating_mul(SEARCH_BUDGET_PER_ELEMENT)),
            nesting: 0,
            stack: Vec::new(),
            exact_tables: ExactTables::default(),
            exact_memo: FxHashMap::default(),
        }
    }

    fn weight(&self, node: usize) -> u64 {
        self.weights[node]
    }

    /// Marks `nodes` as the current set and returns its stamp.
    fn enter(&mut self, nodes: &[usize]) -> u32 {
        if self.stamp == u32::MAX {
            self.member.fill(0);
            self.side.fill(0);
            self.stamp = 0;
        }
        self.stamp += 1;
        for &node in nodes {
            self.member[node] = self.stamp;
        }
        self.stamp
    }

    fn charge(&mut self, work: u64) {
        self.budget = self.budget.saturating_sub(work);
        if self.nesting > 0 {
            self.search_budget = self.search_budget.saturating_sub(work);
        }
    }

    /// Plans `nodes`, which must be in topological order.
    fn solve(&mut self, nodes: &[usize], known: Known, depth: usize, effort: Effort) -> Part {
        self.solve_within(nodes, known, [&[], &[]], false, depth, effort)
    }

    /// [`Planner::solve`] of a series block: `outside` holds the other blocks of its parent set,
    /// which was connected, so that components can be searched from the boundary. `counted`:
    /// [`Planner::counts`] holds the series counts of `nodes` (a series block, or the big
    /// component of one).
    fn solve_within(
        &mut self,
        nodes: &[usize],
        known: Known,
        outside: [&[usize]; 2],
        counted: bool,
        depth: usize,
        effort: Effort,
    ) -> Part {
        let counted = counted && self.carry_counts;
        if nodes.len() == 1 {
            let node = nodes[0];
            return Part {
                plan: Plan::Task(node),
                span: self.weight(node),
            };
        }
        if depth >= MAX_DEPTH {
            // Nested too deeply for the stack (and for Conductor): flatten into level waves.
            let span = self.waves(nodes).0;
            return Part {
                plan: self.waves_plan(nodes),
                span,
            };
        }
        if nodes.len() == 2
            && let Some(part) = self.solve_pair(nodes[0], nodes[1], known)
        {
            return part;
        }
        if known != Known::Connected
            && let Some((grouped, bounds)) = self.components(nodes, outside)
        {
            let counted = counted && self.counts_of_components(nodes, &grouped, &bounds);
            let mut span = 0;
            let mut branches = Vec::with_capacity(bounds.len() - 1);
            for range in bounds.windows(2) {
                let component = &grouped[range[0]..range[1]];
                let part = self.solve_within(
                    component,
                    Known::Connected,
                    [&[], &[]],
                    counted,
                    depth + 1,
                    effort,
                );
                span = span.max(part.span);
                branches.push(part.plan);
            }
            return Part {
                plan: Plan::Parallel(branches),
                span,
            };
        }
        let cuts = if known == Known::NoSeries {
            None
        } else if counted {
            self.series_blocks_from_counts(nodes)
        } else {
            self.series_blocks(nodes)
        };
        if let Some(cuts) = cuts {
            let mut span: u64 = 0;
            let mut steps = Vec::with_capacity(cuts.len() - 1);
            for range in cuts.windows(2) {
                let block = &nodes[range[0]..range[1]];
                let outside = [&nodes[..range[0]], &nodes[range[1]..]];
                let part =
                    self.solve_within(block, Known::NoSeries, outside, true, depth + 1, effort);
                span = span.saturating_add(part.span);
                steps.push(part.plan);
            }
            return Part {
                plan: Plan::Sequence(steps),
                span,
            };
        }
        // Connected, at least two nodes, no series cut.
        self.solve_prime(nodes, depth, effort)
    }

    /// [`Planner::solve`] of two nodes, `first` before `second` in topological order: the
    /// decomposition's answer without its passes (sets of two are the most common in the
    /// search), charging the budgets exactly what [`Planner::components`] and
    /// [`Planner::series_blocks`] would, so that every later decision is the same.
    fn solve_pair(&mut self, first: usize, second: usize, known: Known) -> Option<Part> {
        let graph = self.graph;
        let linked = graph.succs(first).binary_search(&second).is_ok();
        if linked && known == Known::NoSeries {
            return None; // not a series block after all: let the general path decide
        }
        let degree = |node: usize| (graph.succs(node).len() + graph.preds(node).len()) as u64;
        if known != Known::Connected {
            self.charge(2 + degree(first) + degree(second));
        }
        let (first_part, second_part) = (Plan::Task(first), Plan::Task(second));
        if !linked {
            return Some(Part {
                plan: Plan::Parallel(vec![first_part, second_part]),
                span: self.weight(first).max(self.weight(second)),
            });
        }
        let preds = |node: usize| graph.preds(node).len() as u64;
        self.charge(4 + preds(first) + 2 * preds(second) + graph.succs(first).len() as u64);
        Some(Part {
            plan: Plan::Sequence(vec![first_part, second_part]),
            span: self.weight(first).saturating_add(self.weight(second)),
        })
    }

    /// Weakly connected components of `nodes`, each in topological order, ordered by their
    /// first node: the nodes grouped by component, and the bounds of the groups (component `i`
    /// is `grouped[bounds[i]..bounds[i + 1]]`). `None` when `nodes` is connected (the common
    /// case, which then costs no copy).
    ///
    /// `outside`: nodes which, with `nodes`, form a connected set (or nothing). Then every
    /// component of `nodes` touches a neighbour of `outside`, and when `outside` is small the
    /// components are found by [`Planner::components_from_boundary`].
    fn components(
        &mut self,
        nodes: &[usize],
        outside: [&[usize]; 2],
    ) -> Option<(Vec<usize>, Vec<usize>)> {
        let stamp = self.enter(nodes);
        let graph = self.graph;
        if let Some(seeds) = self.boundary(nodes.len(), stamp, outside) {
            return self.components_from_boundary(nodes, stamp, &seeds);
        }
        // A member not yet reached has `member == stamp`; reaching it clears `member` (no stamp
        // is 0) and records its component in `first`, so one test per neighbour suffices.
        let mut count = 0;
        let mut work = nodes.len() as u64;
        let mut stack = std::mem::take(&mut self.stack);
        for &root in nodes {
            if self.member[root] != stamp {
                continue;
            }
            self.member[root] = 0;
            self.first[root] = count;
            stack.push(root);
            while let Some(node) = stack.pop() {
                let (succs, preds) = (graph.succs(node), graph.preds(node));
                work += (succs.len() + preds.len()) as u64;
                for &next in succs.iter().chain(preds) {
                    if self.member[next] == stamp {
                        self.member[next] = 0;
                        self.first[next] = count;
                        stack.push(next);
                    }
                }
            }
            count += 1;
        }
        self.stack = stack;
        self.charge(work);
        if count == 1 {
            return None;
        }
        // A counting sort by component keeps each component in topological order.
        let mut bounds = vec![0usize; count + 1];
        for &node in nodes {
            bounds[self.first[node] + 1] += 1;
        }
        for component in 0..count {
            bounds[component + 1] += bounds[component];
        }
        let mut next = bounds.clone();
        let mut grouped = vec![0usize; nodes.len()];
        for &node in nodes {
            let slot = &mut next[self.first[node]];
            grouped[*slot] = node;
            *slot += 1;
        }
        Some((grouped, bounds))
    }

    /// The members (marked with `stamp`) adjacent to `outside`, when finding them costs less
    /// than a tenth of a search through the `size` members; otherwise `None`.
    fn boundary(&self, size: usize, stamp: u32, outside: [&[usize]; 2]) -> Option<Vec<usize>> {
        let graph = self.graph;
        let limit = size / 10;
        let mut cost = 0;
        for &node in outside.iter().flat_map(|part| part.iter()) {
            cost += 1 + graph.succs(node).len() + graph.preds(node).len();
            if cost > limit {
                return None;
            }
        }
        if cost == 0 {
            return None;
        }
        let mut seeds = Vec::new();
        for &node in outside.iter().flat_map(|part| part.iter()) {
            for &next in graph.succs(node).iter().chain(graph.preds(node)) {
                if self.member[next] == stamp {
                    seeds.push(next);
                }
            }
        }
        Some(seeds)
    }

    /// [`Planner::components`] of `nodes` (entered with `stamp`) when every component contains
    /// one of `seeds`: a search from each seed, taking turns one node at a time, searches that
    /// meet merging; a group of searches that runs out of nodes has found a whole component, and
    /// once a single group is left, everything not yet assigned is its component. So the cost
    /// is that of the small components (times the number of searches), not of the large one,
    /// which matters when a big block loses a few nodes per level of a deep decomposition.
    /// Charges the budgets what the plain search would.
    fn components_from_boundary(
        &mut self,
        nodes: &[usize],
        stamp: u32,
        seeds: &[usize],
    ) -> Option<(Vec<usize>, Vec<usize>)> {
        let graph = self.graph;
        let mut work = nodes.len() as u64;
        for (position, &node) in nodes.iter().enumerate() {
            work += (graph.succs(node).len() + graph.preds(node).len()) as u64;
            self.first[node] = NONE; // the search that reached the node
            self.second[node] = position;
        }
        self.charge(work);
        // Per search: its union-find parent, its stack and the nodes it reached; per group
        // (at its root): how many of its searches still have nodes to expand.
        let mut parent: Vec<usize> = Vec::new();
        let mut open: Vec<usize> = Vec::new();
        let mut stacks: Vec<Vec<usize>> = Vec::new();
        let mut reached: Vec<Vec<usize>> = Vec::new();
        for &seed in seeds {
            if self.first[seed] != NONE {
                continue;
            }
            self.first[seed] = stacks.len();
            parent.push(stacks.len());
            open.push(1);
            stacks.push(vec![seed]);
            reached.push(vec![seed]);
        }
        fn root(parent: &mut [usize], mut search: usize) -> usize {
            while parent[search] != search {
                parent[search] = parent[parent[search]];
                search = parent[search];
            }
            search
        }
        let mut unfinished = stacks.len();
        let mut turns: std::collections::VecDeque<usize> = (0..stacks.len()).collect();
        while unfinished > 1
            && let Some(search) = turns.pop_front()
        {
            let Some(node) = stacks[search].pop() else {
                continue;
            };
            for &next in graph.succs(node).iter().chain(graph.preds(node)) {
                if self.member[next] != stamp {
                    continue;
                }
                let owner = self.first[next];
                if owner == NONE {
                    self.first[next] = search;
                    stacks[search].push(next);
                    reached[search].push(next);
                } else {
                    let (mine, theirs) = (root(&mut parent, search), root(&mut parent, owner));
                    if mine != theirs {
                        let (kept, merged) = (mine.min(theirs), mine.max(theirs));
                        parent[merged] = kept;
                        open[kept] += open[merged];
                        unfinished -= 1;
                    }
                }
            }
            if stacks[search].is_empty() {
                let group = root(&mut parent, search);
                open[group] -= 1;
                if open[group] == 0 {
                    unfinished -= 1;
                }
            } else {
                turns.push_back(search);
            }
        }
        // Finished groups are whole components; the rest of `nodes` is one more (if any).
        let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
        let mut finished_root = vec![NONE; stacks.len()];
        for (search, members) in reached.iter().enumerate() {
            let group = root(&mut parent, search);
            if open[group] != 0 {
                continue;
            }
            if finished_root[group] == NONE {
                finished_root[group] = groups.len();
                groups.push((0, Vec::new()));
            }
            groups[finished_root[group]].1.extend_from_slice(members);
        }
        let whole = groups
            .iter()
            .map(|(_, members)| members.len())
            .sum::<usize>();
        if groups.len() + usize::from(whole < nodes.len()) == 1 {
            return None;
        }
        for (first, members) in &mut groups {
            members.sort_unstable_by_key(|&node| self.second[node]);
            for &node in members.iter() {
                self.member[node] = 0;
            }
            *first = self.second[members[0]];
        }
        let rest: Vec<usize> = nodes
            .iter()
            .copied()
            .filter(|&node| self.member[node] == stamp)
            .collect();
        if let Some(&first) = rest.first() {
            groups.push((self.second[first], rest));
        }
        groups.sort_unstable_by_key(|(first, _)| *first);
        let mut grouped = Vec::with_capacity(nodes.len());
        let mut bounds = vec![0];
        for (_, members) in groups {
            grouped.extend(members);
            bounds.push(grouped.len());
        }
        Some((grouped, bounds))
    }

    /// The maximal series decomposition of `nodes` (in topological order): the blocks between
    /// every position where each maximal node before it has an edge to each minimal node after
    /// it. Such a position is a cut of every topological order, so one sweep finds all of them.
    /// Returns the bounds of the blocks in `nodes` (block `i` is `nodes[cuts[i]..cuts[i + 1]]`),
    /// or `None` when there is no cut.
    fn series_blocks(&mut self, nodes: &[usize]) -> Option<Vec<usize>> {
        let stamp = self.enter(nodes);
        let graph = self.graph;
        let mut work = nodes.len() as u64;
        // first[v]: predecessors of v still after the cut; second[v]: successors of v before it.
        let mut minimal_after: u64 = 0;
        for &node in nodes {
            let inside = graph
                .preds(node)
                .iter()
                .filter(|&&pred| self.member[pred] == stamp)
                .count();
            work += graph.preds(node).len() as u64;
            self.first[node] = inside;
            self.second[node] = 0;
            if inside == 0 {
                minimal_after += 1;
            }
        }
        let mut maximal_before: u64 = 0;
        // Edges from a maximal node before the cut to a minimal node after it.
        let mut good: u64 = 0;
        let mut cuts = Vec::new();
        for (index, &node) in nodes.iter().enumerate() {
            // `node` moves from after the cut to before it. It is minimal after the cut (all its
            // predecessors come earlier in topological order).
            self.side[node] = stamp;
            minimal_after -= 1;
            for &pred in graph.preds(node) {
                if self.member[pred] != stamp {
                    continue;
                }
                work += 1;
                if self.second[pred] == 0 {
                    good -= 1; // pred → node was maximal → minimal
                    maximal_before -= 1;
                    for &other in graph.succs(pred) {
                        work += 1;
                        if self.member[other] == stamp
                            && self.side[other] != stamp
                            && self.first[other] == 0
                        {
                            good -= 1;
                        }
                    }
                }
                self.second[pred] += 1;
            }
            maximal_before += 1;
            for &succ in graph.succs(node) {
                if self.member[succ] != stamp {
                    continue;
                }
                work += 1;
                self.first[succ] -= 1;
                if self.first[succ] == 0 {
                    minimal_after += 1;
                    for &pred in graph.preds(succ) {
                        work += 1;
                        if self.member[pred] == stamp && self.second[pred] == 0 {
                            good += 1;
                        }
                    }
                }
            }
            self.counts[node] = [maximal_before, minimal_after, good];
            if index + 1 < nodes.len() && maximal_before.saturating_mul(minimal_after) == good {
                if cuts.is_empty() {
                    cuts.push(0);
                }
                cuts.push(index + 1);
            }
        }
        self.charge(work);
        if cuts.is_empty() {
            return None;
        }
        cuts.push(nodes.len());
        Some(cuts)
    }

    /// [`Planner::series_blocks`] of a set whose counts are in [`Planner::counts`]: a cut is
    /// where the counts after a node say so, with no sweep. A series block's counts are its
    /// parent's at the same positions: every node before the block reaches its first node, so
    /// none of them is maximal before a position inside it, and likewise after it.
    fn series_blocks_from_counts(&mut self, nodes: &[usize]) -> Option<Vec<usize>> {
        self.charge(nodes.len() as u64);
        let mut cuts = Vec::new();
        for (index, &node) in nodes.iter().enumerate().take(nodes.len().saturating_sub(1)) {
            let [maximal_before, minimal_after, good] = self.counts[node];
            if maximal_before.saturating_mul(minimal_after) == good {
                if cuts.is_empty() {
                    cuts.push(0);
                }
                cuts.push(index + 1);
            }
        }
        if cuts.is_empty() {
            return None;
        }
        cuts.push(nodes.len());
        Some(cuts)
    }

    /// For a set `nodes` (in topological order) whose series counts are in
    /// [`Planner::counts`], split into the components `grouped`/`bounds`: makes the counts of
    /// every component's nodes that component's own, and says whether it did. No edge joins two
    /// components, so each count of the set is the sum of the components' counts at the same
    /// position: all components but the largest are swept (as they would be when planned), and
    /// the largest one's counts are what is left. This costs a pass over the set instead of a
    /// sweep of the largest component, which in a deep decomposition that sheds a few nodes per
    /// level is most of the set at every level.
    fn counts_of_components(
        &mut self,
        nodes: &[usize],
        grouped: &[usize],
        bounds: &[usize],
    ) -> bool {
        let Some((largest, size)) = bounds
            .windows(2)
            .map(|range| range[1] - range[0])
            .enumerate()
            .max_by_key(|&(index, size)| (size, std::cmp::Reverse(index)))
        else {
            return false;
        };
        if size < COUNTED_COMPONENT_MIN {
            return false;
        }
        let graph = self.graph;
        // Per component but the largest: its counts at the current position of the walk below,
        // starting before its first node (nothing before, its minimal nodes after).
        let mut current: Vec<[u64; 3]> = vec![[0; 3]; bounds.len() - 1];
        let mut others = [0u64; 3];
        for (index, range) in bounds.windows(2).enumerate() {
            let component = &grouped[range[0]..range[1]];
            for &node in component {
                self.component_of[node] = index;
            }
            if index == largest {
                continue;
            }
            let minimal = match *component {
                // Planned without a sweep (see `solve_pair`): counted here.
                [node] => {
                    self.counts[node] = [1, 0, 0];
                    1
                }
                [first, second] => {
                    let linked = graph.succs(first).binary_search(&second).is_ok();
                    let linked = u64::from(linked);
                    self.counts[first] = [1, 2 - linked, linked];
                    self.counts[second] = [2 - linked, 0, 0];
                    2 - linked
                }
                _ => {
                    let stamp = self.enter(component);
                    let minimal = component
                        .iter()
                        .filter(|&&node| {
                            graph
                                .preds(node)
                                .iter()
                                .all(|&pred| self.member[pred] != stamp)
                        })
                        .count() as u64;
                    // Records the component's own counts after each of its nodes.
                    self.series_blocks(component);
                    minimal
                }
            };
            current[index] = [0, minimal, 0];
            others[1] += minimal;
        }
        self.charge(nodes.len() as u64);
        for &node in nodes {
            let component = self.component_of[node];
            if component == largest {
                let counts = &mut self.counts[node];
                for index in 0..3 {
                    counts[index] -= others[index];
                }
            } else {
                let after = self.counts[node];
                for index in 0..3 {
                    others[index] = others[index] - current[component][index] + after[index];
                }
                current[component] = after;
            }
        }
        true
    }

    /// Plans a prime block: connected, at least two nodes, no series cut. Some order must be
    /// added. Small blocks are solved exactly; otherwise the better of the staged encoding and
    /// the best cut (or the best few) with both sides planned recursively (a tie keeps the
    /// staged encoding).
    fn solve_prime(&mut self, nodes: &[usize], depth: usize, effort: Effort) -> Part {
        let size = nodes.len();
        if size <= effort.exact {
            let cost = 3u64.pow(size as u32);
            if self.budget >= cost {
                self.charge(cost);
                return self.exact(nodes);
            }
        }
        let exhausted = depth >= MAX_DEPTH || self.budget == 0;
        let horizon = if exhausted { 1 } else { effort.horizon };
        if horizon < 2 {
            return self.staged(nodes, depth, horizon);
        }
        // The cut first: the staged encoding, which wins ties, then stops as soon as it
        // cannot beat the cut.
        let Some(cut) = self.cut_encoding(nodes, depth, horizon, effort) else {
            return self.staged(nodes, depth, horizon);
        };
        match self.staged_within(nodes, depth, horizon, cut.span) {
            Some(staged) if staged.span <= cut.span => staged,
            _ => cut,
        }
    }

    /// The cut encoding of a prime block: the best cut by the bound (or, for small blocks, the
    /// best few), both sides planned recursively, the fastest result (the first of equals).
    /// `None` when the block has no cut to try.
    fn cut_encoding(
        &mut self,
        nodes: &[usize],
        depth: usize,
        horizon: usize,
        effort: Effort,
    ) -> Option<Part> {
        let count = if nodes.len() <= CANDIDATES_MAX_BLOCK
            && self.nesting < CANDIDATES_NESTING
            && self.search_budget > 0
        {
            CANDIDATES
        } else {
            1
        };
        let cuts = self.best_cuts(nodes, count);
        let searching = cuts.len() > 1;
        self.nesting += usize::from(searching);
        let after_cut = Effort {
            horizon: horizon.min(HORIZON_AFTER_CUT),
            exact: effort.exact,
        };
        let mut fastest: Option<Part> = None;
        for (bound, before, after) in cuts {
            // The sides' critical paths bound the result from below: a cut that cannot beat
            // the fastest so far is not planned.
            if fastest.as_ref().is_some_and(|part| bound >= part.span) {
                continue;
            }
            let (first, second) = if !searching
                && before.len() >= INDEPENDENT_SIDE_MIN
                && after.len() >= INDEPENDENT_SIDE_MIN
            {
                self.solve_sides_independently(&before, &after, depth + 1, after_cut)
            } else {
                let first = self.solve(&before, Known::Nothing, depth + 1, after_cut);
                let second = self.solve(&after, Known::Nothing, depth + 1, after_cut);
                (first, second)
            };
            let span = first.span.saturating_add(second.span);
            if fastest.as_ref().is_none_or(|part| span < part.span) {
                fastest = Some(Part {
                    plan: Plan::Sequence(vec![first.plan, second.plan]),
                    span,
                });
            }
        }
        self.nesting -= usize::from(searching);
        fastest
    }

    /// Plans both sides of a large cut: `after` on a re-indexed copy of its subgraph with half
    /// of the remaining budgets, on another thread if one is free, while this planner plans
    /// `before` with the other half; what either leaves unused returns to this planner.
    fn solve_sides_independently(
        &mut self,
        before: &[usize],
        after: &[usize],
        depth: usize,
        effort: Effort,
    ) -> (Part, Part) {
        let budget_share = self.budget / 2;
        let search_share = self.search_budget / 2;
        self.budget -= budget_share;
        self.search_budget -= search_share;
        let side = Side::new(self, after);
        let (nesting, carry_counts) = (self.nesting, self.carry_counts);
        let spare_threads = self.spare_threads;
        let plan_after = move || {
            let mut planner = Planner::new(&side.graph, &side.weights, spare_threads);
            planner.carry_counts = carry_counts;
            planner.budget = budget_share;
            planner.search_budget = search_share;
            planner.nesting = nesting;
            let local: Vec<usize> = (0..side.weights.len()).collect();
            let part = planner.solve(&local, Known::Nothing, depth, effort);
            let part = Part {
                plan: side.global_plan(part.plan),
                span: part.span,
            };
            (part, planner.budget, planner.search_budget)
        };
        let ((second, budget_left, search_left), first) =
            at_once_if_free(spare_threads, plan_after, || {
                self.solve(before, Known::Nothing, depth, effort)
            });
        self.budget = self.budget.saturating_add(budget_left);
        self.search_budget = self.search_budget.saturating_add(search_left);
        (first, second)
    }

    /// Plans a prime block as a sequence of stages, each the nodes of at most `horizon`
    /// consecutive levels, chosen by dynamic programming over the levels; a stage of `n` levels
    /// is planned recursively with horizon `n - 1`, so independent parts inside it run as
    /// parallel branches instead of waiting for each other level by level. Horizon 1 gives plain
    /// level waves, which are therefore never beaten by the result.
    fn staged(&mut self, nodes: &[usize], depth: usize, horizon: usize) -> Part {
        self.staged_within(nodes, depth, horizon, u64::MAX)
            .expect("no ceiling, no stop")
    }

    /// [`Planner::staged`], giving up (`None`) once its makespan is sure to exceed `ceiling`.
    fn staged_within(
        &mut self,
        nodes: &[usize],
        depth: usize,
        horizon: usize,
        ceiling: u64,
    ) -> Option<Part> {
        let (_, levels) = self.waves(nodes);
        let mut buckets: Vec<Vec<usize>> = vec![Vec::new(); levels];
        for &node in nodes {
            buckets[self.first[node]].push(node);
        }
        let horizon = horizon.max(1);
        // rest[level]: the heaviest path from a node of the level, a lower bound of whatever
        // runs from that level on.
        let mut rest = vec![0u64; levels + 1];
        if ceiling != u64::MAX {
            let stamp = self.stamp;
            self.tails(nodes, stamp);
            for (level, bucket) in buckets.iter().enumerate() {
                rest[level] = bucket
                    .iter()
                    .map(|&node| self.tail[node])
                    .max()
                    .unwrap_or(0);
            }
        }
        // best[end]: makespan of levels 0..end; choice[end]: where its last stage starts;
        // parts[end][length - 2]: the plan of stage end - length..end (one level: a wave, built
        // when chosen).
        let mut best = vec![0u64; levels + 1];
        let mut choice = vec![0usize; levels + 1];
        let mut parts: Vec<Vec<Option<Part>>> = Vec::with_capacity(levels + 1);
        parts.push(Vec::new());
        for end in 1..=levels {
            let wave = buckets[end - 1]
                .iter()
                .map(|&node| self.weights[node])
                .max()
                .unwrap_or(0);
            best[end] = best[end - 1].saturating_add(wave);
            choice[end] = end - 1;
            let mut row = Vec::with_capacity(horizon.saturating_sub(1));
            for length in 2..=horizon.min(end) {
                let start = end - length;
                let stage: Vec<usize> = buckets[start..end].iter().flatten().copied().collect();
                let effort = Effort {
                    horizon: length - 1,
                    exact: EXACT_MAX_IN_SEARCH,
                };
                let part = self.solve(&stage, Known::Nothing, depth + 1, effort);
                let total = best[start].saturating_add(part.span);
                if total < best[end] {
                    best[end] = total;
                    choice[end] = start;
                }
                row.push(Some(part));
            }
            parts.push(row);
            // Stages span at most `horizon` levels, so the plan has a stage boundary among the
            // last `horizon` positions up to `end`; from the best boundary, the rest takes at
            // least the heaviest path from its level.
            let least = (end.saturating_sub(horizon - 1)..=end)
                .map(|boundary| best[boundary].saturating_add(rest[boundary]))
                .min()
                .unwrap_or(0);
            if least > ceiling {
                return None;
            }
        }
        let mut stages = Vec::new();
        let mut end = levels;
        while end > 0 {
            let start = choice[end];
            if end - start == 1 {
                let wave = buckets[start]
                    .iter()
                    .map(|&node| Plan::Task(node))
                    .collect();
                stages.push(Plan::Parallel(wave));
            } else if let Some(part) = parts[end][end - start - 2].take() {
                stages.push(part.plan);
            }
            end = start;
        }
        stages.reverse();
        Some(Part {
            plan: Plan::Sequence(stages),
            span: best[levels],
        })
    }

    /// Earliest finish (`finish`) and tail (`tail`: weight of the heaviest path starting at the
    /// node) of every node of the current set, which must be entered with `stamp`.
    fn times(&mut self, nodes: &[usize], stamp: u32) {
        let graph = self.graph;
        let mut work = 0u64;
        for &node in nodes {
            let mut start = 0;
            for &pred in graph.preds(node) {
                if self.member[pred] == stamp {
                    start = start.max(self.finish[pred]);
                }
            }
            work += graph.preds(node).len() as u64;
            self.finish[node] = start.saturating_add(self.weight(node));
        }
        self.charge(work);
        self.tails(nodes, stamp);
    }

    /// The tails alone of [`Planner::times`].
    fn tails(&mut self, nodes: &[usize], stamp: u32) {
        let graph = self.graph;
        let mut work = nodes.len() as u64;
        for &node in nodes.iter().rev() {
            let mut rest = 0;
            for &succ in graph.succs(node) {
                if self.member[succ] == stamp {
                    rest = rest.max(self.tail[succ]);
                }
            }
            work += graph.succs(node).len() as u64;
            self.tail[node] = rest.saturating_add(self.weight(node));
        }
        self.charge(work);
    }

    /// Up to `count` downset/upset splits of a prime block, best first by the sum of the two
    /// parts' critical paths (a lower bound of the result). For a downset `P`, `cp(P)` is the
    /// largest earliest finish in `P` and `cp(rest)` the largest tail outside it; for a given
    /// bound on the former, the largest downset meeting it is best, so prefixes of the nodes
    /// ordered by earliest finish contain an optimal cut. Prefixes by decreasing tail are tried
    /// too (same optimum, smaller first parts). Large blocks only take balanced cuts; ties go
    /// to the most balanced cut. Each split comes with its bound.
    fn best_cuts(&mut self, nodes: &[usize], count: usize) -> Vec<(u64, Vec<usize>, Vec<usize>)> {
        let stamp = self.enter(nodes);
        self.times(nodes, stamp);
        let size = nodes.len();
        // Positions in topological order break ties, so every prefix is a downset.
        let by_finish = sorted_by_key(nodes.iter().map(|&node| self.finish[node]).collect());
        let by_tail = sorted_by_key(
            nodes
                .iter()
                .map(|&node| u64::MAX - self.tail[node])
                .collect(),
        );
        self.charge(2 * size as u64 * u64::from(usize::BITS - size.leading_zeros()));
        let balanced = |length: usize| {
            size <= BALANCE_MIN_BLOCK || length.min(size - length) * 100 >= BALANCE_PERCENT * size
        };
        // The `count` best candidates (bound, imbalance, prefix length, which order), smallest
        // first. The two orders often give the same cut: of candidates with the same bound and
        // size (hence the same imbalance) only the first order's is kept.
        let mut candidates: Vec<(u64, usize, usize, usize)> = Vec::with_capacity(count + 1);
        let mut suffix = vec![0u64; size + 1];
        for (which, order) in [&by_finish, &by_tail].into_iter().enumerate() {
            for position in (0..size).rev() {
                suffix[position] = suffix[position + 1].max(self.tail[nodes[order[position].1]]);
            }
            let mut prefix = 0u64;
            for position in 0..size - 1 {
                prefix = prefix.max(self.finish[nodes[order[position].1]]);
                let length = position + 1;
                if !balanced(length) {
                    continue;
                }
                let bound = prefix.saturating_add(suffix[position + 1]);
                let candidate = (bound, (2 * length).abs_diff(size), length, which);
                if candidates.len() == count
                    && candidates.last().is_some_and(|last| candidate >= *last)
                {
                    continue;
                }
                if candidates
                    .iter()
                    .any(|kept| (kept.0, kept.2) == (candidate.0, candidate.2))
                {
                    continue;
                }
                let at = candidates.partition_point(|kept| *kept < candidate);
                candidates.insert(at, candidate);
                candidates.truncate(count);
            }
        }
        let mut cuts = Vec::with_capacity(count);
        for &(bound, _, length, which) in &candidates {
            let order = if which == 0 { &by_finish } else { &by_tail };
            let stamp = self.enter(nodes);
            for &(_, index) in &order[..length] {
                self.side[nodes[index]] = stamp;
            }
            let (mut before, mut after) = (Vec::with_capacity(length), Vec::new());
            for &node in nodes {
                if self.side[node] == stamp {
                    before.push(node);
                } else {
                    after.push(node);
                }
            }
            cuts.push((bound, before, after));
        }
        cuts
    }

    /// Levels of `nodes` (in topological order) within the set: the number of edges on the
    /// longest path from the set's sources. Returns the level waves' makespan and the number of
    /// levels; levels are left in `first`.
    fn waves(&mut self, nodes: &[usize]) -> (u64, usize) {
        let stamp = self.enter(nodes);
        let graph = self.graph;
        let mut levels = 0;
        let mut work = nodes.len() as u64;
        for &node in nodes {
            let mut level = 0;
            for &pred in graph.preds(node) {
                if self.member[pred] == stamp {
                    level = level.max(self.first[pred] + 1);
                }
            }
            work += graph.preds(node).len() as u64;
            self.first[node] = level;
            levels = levels.max(level + 1);
        }
        self.charge(work);
        let mut widest = vec![0u64; levels];
        for &node in nodes {
            let level = self.first[node];
            widest[level] = widest[level].max(self.weight(node));
        }
        let span = widest
            .iter()
            .fold(0u64, |sum, &value| sum.saturating_add(value));
        (span, levels)
    }

    fn waves_plan(&mut self, nodes: &[usize]) -> Plan {
        let (_, levels) = self.waves(nodes);
        let mut waves: Vec<Vec<Plan>> = vec![Vec::new(); levels];
        let mut sorted = nodes.to_vec();
        sorted.sort_unstable();
        for node in sorted {
            waves[self.first[node]].push(Plan::Task(node));
        }
        Plan::Sequence(waves.into_iter().map(Plan::Parallel).collect())
    }

    /// The optimal plan of a small prime block: dynamic programming over its convex subsets.
    /// A connected set's plan starts with a downset (any plan's first step is one), so
    /// `best(X) = min over proper downsets D of X of best(D) + best(X − D)`, and a disconnected
    /// set runs its components in parallel.
    fn exact(&mut self, nodes: &[usize]) -> Part {
        let stamp = self.enter(nodes);
        let size = nodes.len();
        for (index, &node) in nodes.iter().enumerate() {
            self.first[node] = index;
        }
        let mut preds = vec![0u32; size];
        let mut adjacent = vec![0u32; size];
        for (index, &node) in nodes.iter().enumerate() {
            for &pred in self.graph.preds(node) {
                if self.member[pred] == stamp {
                    let other = self.first[pred];
                    preds[index] |= 1 << other;
                    adjacent[index] |= 1 << other;
                    adjacent[other] |= 1 << index;
                }
            }
        }
        let weights: Vec<u64> = nodes.iter().map(|&node| self.weight(node)).collect();
        // The optimum depends only on the block's shape and weights, which repeat a lot (most
        // workflow tasks have the default weight): solved blocks are remembered, with their
        // plans over local numbers.
        let mut key = Vec::with_capacity(2 * size);
        key.extend(preds.iter().map(|&mask| u64::from(mask)));
        key.extend_from_slice(&weights);
        if let Some((span, local_plan)) = self.exact_memo.get(&key) {
            return Part {
                plan: renumbered(local_plan, nodes),
                span: *span,
            };
        }
        let full = (1u32 << size) - 1;
        let tables = &mut self.exact_tables;
        tables.span.clear();
        tables.span.resize(1 << size, u64::MAX);
        tables.split.clear();
        tables.split.resize(1 << size, 0);
        let mut table = Exact {
            adjacent,
            preds,
            weights,
            tables,
        };
        let span = table.best(full);
        let local: Vec<usize> = (0..size).collect();
        let local_plan = table.plan(full, &local);
        let plan = renumbered(&local_plan, nodes);
        self.exact_memo.insert(key, (span, local_plan));
        Part { plan, span }
    }
}

/// `plan` with node `i` replaced by `nodes[i]`.
fn renumbered(plan: &Plan, nodes: &[usize]) -> Plan {
    match plan {
        Plan::Task(local) => Plan::Task(nodes[*local]),
        Plan::Sequence(steps) => {
            Plan::Sequence(steps.iter().map(|step| renumbered(step, nodes)).collect())
        }
        Plan::Parallel(branches) => Plan::Parallel(
            branches
                .iter()
                .map(|branch| renumbered(branch, nodes))
                .collect(),
        ),
    }
}

/// `(keys[i], i)` for every `i`, sorted. Keys here are times bounded by the block's critical
/// path, usually a small multiple of its size: then a counting sort (stable, so ties stay in
/// index order, as in the tuple order) replaces the comparison sort.
fn sorted_by_key(keys: Vec<u64>) -> Vec<(u64, usize)> {
    let (Some(&least), Some(&most)) = (keys.iter().min(), keys.iter().max()) else {
        return Vec::new();
    };
    let range = most - least;
    if range > 4 * keys.len() as u64 + 64 {
        let mut pairs: Vec<(u64, usize)> = keys.into_iter().zip(0..).collect();
        pairs.sort_unstable();
        return pairs;
    }
    let mut starts = vec![0usize; range as usize + 2];
    for &key in &keys {
        starts[(key - least) as usize + 1] += 1;
    }
    for slot in 1..starts.len() {
        starts[slot] += starts[slot - 1];
    }
    let mut pairs = vec![(0u64, 0usize); keys.len()];
    for (index, &key) in keys.iter().enumerate() {
        let slot = &mut starts[(key - least) as usize];
        pairs[*slot] = (key, index);
        *slot += 1;
    }
    pairs
}

/// Runs `other` on another thread and `here` on this one, at once, when one of
/// `spare_threads` is free; otherwise `here`, then `other`, on this thread. The thread is given
/// back as soon as `other` is done, so that what is left of `here` (the larger side, usually)
/// can use it. Callers give the two closures planners and budgets of their own, so the results
/// do not depend on which happened.
fn at_once_if_free<Other: Send, Here>(
    spare_threads: &AtomicUsize,
    other: impl FnOnce() -> Other + Send,
    here: impl FnOnce() -> Here,
) -> (Other, Here) {
    let took_thread = spare_threads
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |spare| {
            spare.checked_sub(1)
        })
        .is_ok();
    if took_thread {
        let other = move || {
            let done = other();
            spare_threads.fetch_add(1, Ordering::AcqRel);
            done
        };
        crate::threads::join(other, here)
    } else {
        let here = here();
        (other(), here)
    }
}

/// One side of a cut as a graph of its own: nodes renumbered `0..n` in the side's topological
/// order, so that a planner for it needs scratch space for the side only.
struct Side {
    graph: Graph,
    weights: Vec<u64>,
    /// Local node → node of the whole graph.
    global: Vec<usize>,
}

impl Side {
    fn new(planner: &mut Planner, nodes: &[usize]) -> Side {
        let stamp = planner.enter(nodes);
        for (local, &node) in nodes.iter().enumerate() {
            planner.first[node] = local;
        }
        let mut edges = Vec::new();
        for (local, &node) in nodes.iter().enumerate() {
            for &pred in planner.graph.preds(node) {
                if planner.member[pred] == stamp {
                    edges.push((planner.first[pred], local));
                }
            }
        }
        planner.charge((nodes.len() + edges.len()) as u64);
        Side {
            graph: Graph::new(nodes.len(), &edges),
            weights: nodes.iter().map(|&node| planner.weight(node)).collect(),
            global: nodes.to_vec(),
        }
    }

    fn global_plan(&self, plan: Plan) -> Plan {
        match plan {
            Plan::Task(local) => Plan::Task(self.global[local]),
            Plan::Sequence(steps) => Plan::Sequence(
                steps
                    .into_iter()
                    .map(|step| self.global_plan(step))
                    .collect(),
            ),
            Plan::Parallel(branches) => Plan::Parallel(
                branches
                    .into_iter()
                    .map(|branch| self.global_plan(branch))
                    .collect(),
            ),
        }
    }
}

/// Scratch space of [`Planner::exact`], reused from block to block: per subset (bit mask over
/// the block's nodes in topological order) its best makespan (`u64::MAX`: not computed yet) and
/// how it is reached (`split == 0`: a single node or parallel components; otherwise the first
/// downset), and the downsets under evaluation, one segment per active call of [`Exact::best`].
#[derive(Default)]
struct ExactTables {
    span: Vec<u64>,
    split: Vec<u32>,
    stack: Vec<u32>,
}

/// The dynamic programme of [`Planner::exact`] over the subsets of one small block.
struct Exact<'t> {
    /// Per node, its neighbours in the block (either direction) as a bit mask.
    adjacent: Vec<u32>,
    /// Per node, its predecessors in the block as a bit mask.
    preds: Vec<u32>,
    weights: Vec<u64>,
    tables: &'t mut ExactTables,
}

impl Exact<'_> {
    fn component(&self, set: u32) -> u32 {
        let mut reached = set & set.wrapping_neg();
        loop {
            let mut next = reached;
            let mut rest = reached;
            while rest != 0 {
                let index = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                next |= self.adjacent[index] & set;
            }
            if next == reached {
                return reached;
            }
            reached = next;
        }
    }

    /// The weight of the heaviest path inside `set`: no plan of it is faster, so the search
    /// over its first downsets can stop as soon as a plan reaches it.
    fn critical_path(&self, set: u32) -> u64 {
        let mut finish = [0u64; EXACT_MAX];
        let mut longest = 0;
        let mut rest = set;
        // Bits are in topological order, so predecessors are finished first.
        while rest != 0 {
            let node = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            let mut start = 0;
            let mut preds = self.preds[node] & set;
            while preds != 0 {
                let pred = preds.trailing_zeros() as usize;
                preds &= preds - 1;
                start = start.max(finish[pred]);
            }
            finish[node] = start.saturating_add(self.weights[node]);
            longest = longest.max(finish[node]);
        }
        longest
    }

    fn best(&mut self, set: u32) -> u64 {
        if self.tables.span[set as usize] != u64::MAX {
            return self.tables.span[set as usize];
        }
        let result = if set.count_ones() == 1 {
            self.weights[set.trailing_zeros() as usize]
        } else {
            let component = self.component(set);
            if component != set {
                let mut rest = set;
                let mut span = 0;
                while rest != 0 {
                    let component = self.component(rest);
                    span = span.max(self.best(component));
                    rest &= !component;
                }
                span
            } else {
                let mut best = u64::MAX;
                let mut best_split = 0;
                let lower_bound = self.critical_path(set);
                // The proper non-empty downsets of `set`, by a walk over its nodes in
                // topological order: a node may join only after all its predecessors in `set`.
                // They are collected on the stack above `base`; recursive calls push above
                // them and truncate back.
                let base = self.tables.stack.len();
                let mut pending = [(0u32, 0u32); 34];
                pending[0] = (set, 0);
                let mut waiting = 1;
                while waiting > 0 {
                    waiting -= 1;
                    let (rest, chosen) = pending[waiting];
                    if rest == 0 {
                        if chosen != 0 && chosen != set {
                            self.tables.stack.push(chosen);
                        }
                        continue;
                    }
                    let node = rest.trailing_zeros();
                    let rest = rest & (rest - 1);
                    pending[waiting] = (rest, chosen);
                    waiting += 1;
                    if self.preds[node as usize] & set & !chosen == 0 {
                        pending[waiting] = (rest, chosen | 1 << node);
                        waiting += 1;
                    }
                }
                let end = self.tables.stack.len();
                for index in base..end {
                    let subset = self.tables.stack[index];
                    let first = self.best(subset);
                    if first < best {
                        let total = first.saturating_add(self.best(set & !subset));
                        if total < best {
                            best = total;
                            best_split = subset;
                            // Later downsets can only tie, and ties keep the first.
                            if best <= lower_bound {
                                break;
                            }
                        }
                    }
                }
                self.tables.stack.truncate(base);
                self.tables.split[set as usize] = best_split;
                best
            }
        };
        // u64::MAX marks "unknown"; a saturated span stays correct as MAX - 1 is never needed.
        self.tables.span[set as usize] = result.min(u64::MAX - 1);
        result
    }

    fn plan(&self, set: u32, nodes: &[usize]) -> Plan {
        if set.count_ones() == 1 {
            return Plan::Task(nodes[set.trailing_zeros() as usize]);
        }
        let split = self.tables.split[set as usize];
        if split != 0 {
            return Plan::Sequence(vec![
                self.plan(split, nodes),
                self.plan(set & !split, nodes),
            ]);
        }
        let mut branches = Vec::new();
        let mut rest = set;
        while rest != 0 {
            let component = self.component(rest);
            branches.push(self.plan(component, nodes));
            rest &= !component;
        }
        Plan::Parallel(branches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(weights: &[u64], edges: &[(usize, usize)]) -> PlanInput {
        PlanInput {
            weights: weights.to_vec(),
            edges: edges.to_vec(),
        }
    }

    fn task(node: usize) -> Plan {
        Plan::Task(node)
    }

    fn seq(children: Vec<Plan>) -> Plan {
        Plan::Sequence(children)
    }

    fn par(children: Vec<Plan>) -> Plan {
        Plan::Parallel(children)
    }

    fn planned(input: &PlanInput) -> Plan {
        let plan = plan(input).expect("acyclic input");
        validate(&plan, input).expect("valid plan");
        plan
    }

    #[test]
    fn independent_chains_get_no_false_barrier() {
        // A=0 → B=1, C=2 → D=3
        let input = input(&[1, 1, 1, 1], &[(0, 1), (2, 3)]);
        assert_eq!(
            planned(&input),
            par(vec![
                seq(vec![task(0), task(1)]),
                seq(vec![task(2), task(3)])
            ])
        );
        assert_eq!(
            level_waves(&input),
            seq(vec![
                par(vec![task(0), task(2)]),
                par(vec![task(1), task(3)])
            ])
        );
    }

    #[test]
    fn diamond() {
        let input = input(&[1, 2, 3, 1], &[(0, 1), (0, 2), (1, 3), (2, 3)]);
        assert_eq!(
            planned(&input),
            seq(vec![task(0), par(vec![task(1), task(2)]), task(3)])
        );
        assert_eq!(makespan(&planned(&input), &input.weights), 5);
    }

    #[test]
    fn transitive_edges_do_not_hide_structure() {
        // Chain 0 → 1 → 2 with a redundant 0 → 2, in parallel with 3.
        let input = input(&[1, 1, 1, 5], &[(0, 1), (1, 2), (0, 2), (0, 2)]);
        assert_eq!(
            planned(&input),
            par(vec![seq(vec![task(0), task(1), task(2)]), task(3)])
        );
        // A diamond with a redundant edge from the top to the bottom.
        let input = input_diamond_with_shortcut();
        assert_eq!(
            planned(&input),
            seq(vec![task(0), par(vec![task(1), task(2)]), task(3)])
        );
    }

    fn input_diamond_with_shortcut() -> PlanInput {
        input(&[1, 1, 1, 1], &[(0, 1), (0, 2), (1, 3), (2, 3), (0, 3)])
    }

    #[test]
    fn chains() {
        let chain = input(&[3, 1, 4, 1, 5], &[(0, 1), (1, 2), (2, 3), (3, 4)]);
        assert_eq!(planned(&chain), seq((0..5).map(task).collect()));
        // Authored out of order: the sequence follows the dependencies.
        let reversed = input(&[1, 1, 1], &[(2, 1), (1, 0)]);
        assert_eq!(planned(&reversed), seq(vec![task(2), task(1), task(0)]));
    }

    #[test]
    fn independent_tasks_keep_the_authors_order() {
        let input = input(&[1, 1, 1, 1], &[(3, 0)]);
        assert_eq!(
            planned(&input),
            par(vec![seq(vec![task(3), task(0)]), task(1), task(2)])
        );
    }

    #[test]
    fn n_shape_uses_the_weights() {
        // A=0 → C=2, B=1 → C, B → D=3.
        let edges = [(0, 2), (1, 2), (1, 3)];
        // Short D: wait for both before C and D.
        let light = input(&[1, 1, 1, 1], &edges);
        assert_eq!(
            planned(&light),
            seq(vec![
                par(vec![task(0), task(1)]),
                par(vec![task(2), task(3)])
            ])
        );
        // A and D long: B, D in one branch beside A, then C (makespan 12, waves would be 20).
        let heavy = input(&[10, 1, 1, 10], &edges);
        let plan = planned(&heavy);
        assert_eq!(makespan(&plan, &heavy.weights), 12);
        assert_eq!(makespan(&level_waves(&heavy), &heavy.weights), 20);
        assert_eq!(critical_path(&heavy.weights, &heavy.edges), 11);
    }

    #[test]
    fn fan_out_fan_in() {
        let width = 50;
        let mut edges = Vec::new();
        for middle in 1..=width {
            edges.push((0, middle));
            edges.push((middle, width + 1));
        }
        let weights: Vec<u64> = (0..width + 2).map(|node| node as u64 % 7 + 1).collect();
        let input = input(&weights, &edges);
        let plan = planned(&input);
        assert_eq!(
            plan,
            seq(vec![
                task(0),
                par((1..=width).map(task).collect()),
                task(width + 1)
            ])
        );
        assert_eq!(makespan(&plan, &weights), critical_path(&weights, &edges));
    }

    #[test]
    fn two_chains_with_one_cross_edge_cut_once() {
        // 0..10 and 10..20 are chains; 4 → 15 crosses.
        let mut edges: Vec<(usize, usize)> = (0..9).map(|node| (node, node + 1)).collect();
        edges.extend((10..19).map(|node| (node, node + 1)));
        edges.push((4, 15));
        let weights = vec![1; 20];
        let input = input(&weights, &edges);
        let plan = planned(&input);
        assert_eq!(makespan(&plan, &weights), 10);
        assert_eq!(critical_path(&weights, &edges), 10);
    }

    #[test]
    fn deep_nesting_is_bounded() {
        // a_i → b_i and a_i → a_(i+1): Seq[a0, Par[b0, Seq[a1, Par[b1, …]]]], 4,000 levels deep.
        let pairs = 2000;
        let mut edges = Vec::new();
        for pair in 0..pairs {
            edges.push((2 * pair, 2 * pair + 1));
            if pair + 1 < pairs {
                edges.push((2 * pair, 2 * pair + 2));
            }
        }
        let weights: Vec<u64> = (0..2 * pairs).map(|node| node as u64 % 5 + 1).collect();
        let input = input(&weights, &edges);
        let plan = planned(&input);
        assert!(depth(&plan) <= 2 * MAX_DEPTH + 4, "depth {}", depth(&plan));
        assert!(makespan(&plan, &weights) <= makespan(&level_waves(&input), &weights));
        // Shallow enough: exact.
        let shallow = PlanInput {
            weights: weights[..40].to_vec(),
            edges: edges.iter().copied().filter(|&(_, to)| to < 40).collect(),
        };
        assert_eq!(
            makespan(&planned(&shallow), &shallow.weights),
            critical_path(&shallow.weights, &shallow.edges)
        );
    }

    #[test]
    fn long_narrow_prime_blocks() {
        // Each node depends on two of the four before it: one long prime block, so the cut
        // and staged searches recurse as deep as they can.
        let nodes: usize = 3000;
        let mut edges = Vec::new();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for to in 1..nodes {
            for _ in 0..2 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let back = 1 + (state % 4) as usize;
                edges.push((to.saturating_sub(back), to));
            }
        }
        edges.retain(|(from, to)| from != to);
        let weights: Vec<u64> = (0..nodes).map(|node| (node as u64 * 7) % 10 + 1).collect();
        let input = input(&weights, &edges);
        let plan = planned(&input);
        let span = makespan(&plan, &weights);
        assert!(span <= makespan(&level_waves(&input), &weights));
        assert!(span >= critical_path(&weights, &edges));
    }

    fn depth(plan: &Plan) -> usize {
        match plan {
            Plan::Task(_) => 1,
            Plan::Sequence(children) | Plan::Parallel(children) => {
                1 + children.iter().map(depth).max().unwrap_or(0)
            }
        }
    }

    #[test]
    fn empty_and_single() {
        assert_eq!(planned(&input(&[], &[])), seq(vec![]));
        assert_eq!(planned(&input(&[7], &[])), task(0));
        assert_eq!(makespan(&seq(vec![]), &[]), 0);
    }

    #[test]
    fn errors_instead_of_panics() {
        let cyclic = input(&[1, 1, 1, 1], &[(0, 1), (1, 2), (2, 1), (2, 3)]);
        assert_eq!(plan(&cyclic), Err(PlanError::Cycle { cycle: vec![1, 2] }));
        assert_eq!(
            plan(&input(&[1], &[(0, 0)])),
            Err(PlanError::Cycle { cycle: vec![0] })
        );
        assert_eq!(
            plan(&input(&[1, 1], &[(0, 2)])),
            Err(PlanError::UnknownNode {
                edge: (0, 2),
                nodes: 2
            })
        );
        assert_eq!(
            PlanError::Cycle { cycle: vec![1, 2] }.to_string(),
            "the dependencies contain a cycle: 1 → 2 → 1"
        );
        // The helpers accept anything.
        let waves = level_waves(&cyclic);
        assert!(validate(&waves, &cyclic).is_err());
        assert_eq!(critical_path(&cyclic.weights, &cyclic.edges), 1);
    }

    #[test]
    fn validate_catches_mistakes() {
        let input = input(&[1, 1, 1], &[(0, 1)]);
        assert!(validate(&seq(vec![task(0), task(1), task(2)]), &input).is_ok());
        assert!(validate(&seq(vec![task(1), task(0), task(2)]), &input).is_err());
        assert!(validate(&par(vec![task(0), task(1), task(2)]), &input).is_err());
        assert!(validate(&seq(vec![task(0), task(1)]), &input).is_err());
        assert!(validate(&seq(vec![task(0), task(1), task(1), task(2)]), &input).is_err());
        assert!(
            validate(
                &seq(vec![par(vec![task(2), seq(vec![task(0)])]), task(1)]),
                &input
            )
            .is_ok()
        );
    }

    #[test]
    fn zero_weights_still_make_progress() {
        let n_shape = input(&[0, 0, 0, 0], &[(0, 2), (1, 2), (1, 3)]);
        let plan = planned(&n_shape);
        assert_eq!(makespan(&plan, &n_shape.weights), 0);
        // A prime block above the exact size, all weights zero.
        let mut edges = Vec::new();
        for node in 0..40 {
            edges.push((node, node + 2));
            edges.push((node, node + 3));
        }
        let large = input(&[0; 43], &edges);
        planned(&large);
    }

    /// A random sparse DAG in layers of `width` nodes, each node reading two random nodes of the
    /// previous two layers (fixed seed): one prime block of (nearly) all its nodes.
    fn layered_random_dag(nodes: usize, width: usize) -> PlanInput {
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let weights: Vec<u64> = (0..nodes).map(|_| 1 + next() % 9).collect();
        let mut edges = Vec::new();
        for to in width..nodes {
            let layer_start = to - to % width;
            for _ in 0..2 {
                let from = layer_start
                    - width * (1 + (next() as usize) % 2).min(layer_start / width)
                    + (next() as usize) % width;
                edges.push((from, to));
            }
        }
        input(&weights, &edges)
    }

    /// A long chain fed by a hub (read by every other link) and by independent sources, each
    /// read by one link: the shape of a generated workflow whose jq tasks read only the
    /// workflow's input. The decomposition is nested as deep as it goes, shedding one source per
    /// level.
    fn fed_chain(nodes: usize) -> PlanInput {
        let mut edges = Vec::new();
        let mut previous = 0;
        for node in 1..nodes {
            if node % 8 == 5 && node + 1 < nodes {
                edges.push((node, node + 1));
                continue;
            }
            edges.push((previous, node));
            if node % 2 == 0 {
                edges.push((0, node));
            }
            previous = node;
        }
        input(&vec![1; nodes], &edges)
    }

    #[test]
    fn staged_encoding_stops_only_when_it_cannot_win() {
        for (nodes, width) in [(60, 4), (200, 9), (500, 25)] {
            let input = layered_random_dag(nodes, width);
            let graph = Graph::new(nodes, &input.edges);
            let spare_threads = AtomicUsize::new(0);
            let staged = |ceiling: u64| {
                let mut planner = Planner::new(&graph, &input.weights, &spare_threads);
                planner.staged_within(&graph.topo, 0, 3, ceiling)
            };
            let whole = staged(u64::MAX).expect("no ceiling, no stop");
            for ceiling in [
                whole.span / 2,
                whole.span - 1,
                whole.span,
                whole.span + 1,
                2 * whole.span,
            ] {
                match staged(ceiling) {
                    None => assert!(
                        whole.span > ceiling,
                        "{nodes} nodes: stopped under {ceiling}, but the plan takes {}",
                        whole.span
                    ),
                    // Not stopped: the same plan as without a ceiling.
                    Some(part) => {
                        assert_eq!((part.span, &part.plan), (whole.span, &whole.plan));
                    }
                }
            }
            // Below the critical path it stops at the first level.
            assert!(
                staged(whole.span / 2).is_none(),
                "{nodes} nodes: never stops"
            );
        }
    }

    #[test]
    fn carried_series_counts_change_no_plan() {
        let mut inputs = vec![
            fed_chain(3_000),
            fed_chain(200),
            layered_random_dag(2_000, 40),
            layered_random_dag(300, 7),
        ];
        // Nested series-parallel graphs with a few extra edges: blocks and components at every
        // depth.
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        for nodes in [50, 400, 1_500] {
            let mut edges = Vec::new();
            for to in 1..nodes {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let from = to - 1 - (state as usize) % to.min(12);
                edges.push((from, to));
                if state.is_multiple_of(5) {
                    edges.push(((state as usize >> 8) % to, to));
                }
            }
            inputs.push(input(&vec![2; nodes], &edges));
        }
        for input in &inputs {
            let carried = plan_with(input, 0, true).expect("plans");
            let swept = plan_with(input, 0, false).expect("plans");
            let nodes = input.weights.len();
            // Not `assert_eq!`: a failure would print two plans of thousands of tasks.
            assert!(
                carried == swept,
                "{nodes} nodes: carrying counts changes the plan"
            );
            assert_eq!(validate(&carried, input), Ok(()));
        }
        let chain = fed_chain(3_000);
        let plan = plan_with(&chain, 0, true).expect("plans");
        assert_eq!(
            makespan(&plan, &chain.weights),
            critical_path(&chain.weights, &chain.edges)
        );
    }

    #[test]
    fn threads_do_not_change_the_plan() {
        // 12,000 nodes: the sides of cuts at several levels are planned independently, so one
        // spare thread is sometimes busy when another pair of sides could use it, and three
        // are not. Just above twice `INDEPENDENT_SIDE_MIN`: at most one such cut.
        for (nodes, width) in [(12_000, 60), (2 * INDEPENDENT_SIDE_MIN + 100, 30)] {
            let input = layered_random_dag(nodes, width);
            let alone = plan_with_threads(&input, 0).expect("plans");
            for spare_threads in [1, 3] {
                let threaded = plan_with_threads(&input, spare_threads).expect("plans");
                // Not `assert_eq!`: a failure would print two plans of thousands of tasks.
                assert!(
                    alone == threaded,
                    "{nodes} nodes: the plan changes with {spare_threads} spare threads"
                );
            }
            assert_eq!(validate(&alone, &input), Ok(()));
            assert!(
                makespan(&alone, &input.weights) <= makespan(&level_waves(&input), &input.weights)
            );
        }
    }

    #[test]
    fn deterministic_and_normalised() {
        let mut edges = Vec::new();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for to in 1..300usize {
            for _ in 0..2 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let from = (state % to as u64) as usize;
                edges.push((from, to));
            }
        }
        let weights: Vec<u64> = (0..300).map(|node| node as u64 % 10 + 1).collect();
        let input = input(&weights, &edges);
        let first = planned(&input);
        assert_eq!(first, planned(&input));
        assert_normalised(&first);
        assert!(makespan(&first, &weights) <= makespan(&level_waves(&input), &weights));
        assert!(makespan(&first, &weights) >= critical_path(&weights, &edges));
    }

    fn assert_normalised(plan: &Plan) {
        match plan {
            Plan::Task(_) => {}
            Plan::Sequence(children) => {
                assert!(children.len() > 1, "single-child sequence");
                for child in children {
                    assert!(!matches!(child, Plan::Sequence(_)), "nested sequence");
                    assert_normalised(child);
                }
            }
            Plan::Parallel(children) => {
                assert!(children.len() > 1, "single-child parallel");
                let firsts: Vec<usize> = children.iter().map(smallest_node).collect();
                assert!(
                    firsts.windows(2).all(|pair| pair[0] < pair[1]),
                    "branch order"
                );
                for child in children {
                    assert!(!matches!(child, Plan::Parallel(_)), "nested parallel");
                    assert_normalised(child);
                }
            }
        }
    }
}
