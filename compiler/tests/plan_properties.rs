//! Property tests of the planner (`wfc_compiler::plan`): on random DAGs every plan is valid,
//! deterministic, normalised, between the critical path and plain level waves; on
//! series-parallel DAGs it is exactly their structure; on small DAGs it is optimal.

use proptest::prelude::*;
use wfc_compiler::plan::{
    Plan, PlanError, PlanInput, critical_path, level_waves, makespan, plan, validate,
};

/// A random DAG: edges go from lower to higher rank, and ranks are shuffled into node numbers so
/// that the author's order is not always a topological order.
fn dag(max_nodes: usize) -> impl Strategy<Value = PlanInput> {
    (1..=max_nodes)
        .prop_flat_map(|nodes| {
            (
                prop::collection::vec(0u64..=10, nodes),
                prop::collection::vec((0..nodes, 0..nodes), 0..=nodes * 3),
                Just((0..nodes).collect::<Vec<usize>>()).prop_shuffle(),
            )
        })
        .prop_map(|(weights, pairs, numbering)| {
            let edges = pairs
                .into_iter()
                .filter(|(a, b)| a != b)
                .map(|(a, b)| (numbering[a.min(b)], numbering[a.max(b)]))
                .collect();
            PlanInput { weights, edges }
        })
}

/// A random series-parallel expression over `nodes` leaves.
#[derive(Clone, Debug)]
enum Shape {
    Leaf,
    Series(Vec<Shape>),
    Parallel(Vec<Shape>),
}

fn shape() -> impl Strategy<Value = Shape> {
    Just(Shape::Leaf).prop_recursive(5, 48, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Shape::Series),
            prop::collection::vec(inner, 2..4).prop_map(Shape::Parallel),
        ]
    })
}

/// Builds the DAG of a shape (its transitive reduction) and the plan it denotes; returns the
/// shape's sources and sinks.
fn build(
    shape: &Shape,
    numbering: &[usize],
    next: &mut usize,
    edges: &mut Vec<(usize, usize)>,
) -> (Plan, Vec<usize>, Vec<usize>) {
    match shape {
        Shape::Leaf => {
            let node = numbering[*next];
            *next += 1;
            (Plan::Task(node), vec![node], vec![node])
        }
        Shape::Series(children) => {
            let mut plans = Vec::new();
            let mut sources = Vec::new();
            let mut sinks: Vec<usize> = Vec::new();
            for (index, child) in children.iter().enumerate() {
                let (plan, child_sources, child_sinks) = build(child, numbering, next, edges);
                if index == 0 {
                    sources = child_sources;
                } else {
                    for &from in &sinks {
                        for &to in &child_sources {
                            edges.push((from, to));
                        }
                    }
                }
                sinks = child_sinks;
                plans.push(plan);
            }
            (Plan::Sequence(plans), sources, sinks)
        }
        Shape::Parallel(children) => {
            let mut plans = Vec::new();
            let mut sources = Vec::new();
            let mut sinks = Vec::new();
            for child in children {
                let (plan, child_sources, child_sinks) = build(child, numbering, next, edges);
                sources.extend(child_sources);
                sinks.extend(child_sinks);
                plans.push(plan);
            }
            (Plan::Parallel(plans), sources, sinks)
        }
    }
}

fn leaves(shape: &Shape) -> usize {
    match shape {
        Shape::Leaf => 1,
        Shape::Series(children) | Shape::Parallel(children) => children.iter().map(leaves).sum(),
    }
}

/// The canonical form of a series-parallel plan: flattened, branches by smallest node.
fn canonical(plan: Plan) -> (Plan, usize) {
    match plan {
        Plan::Task(node) => (Plan::Task(node), node),
        Plan::Sequence(children) => {
            let mut flat = Vec::new();
            let mut least = usize::MAX;
            for child in children {
                let (child, smallest) = canonical(child);
                least = least.min(smallest);
                match child {
                    Plan::Sequence(inner) => flat.extend(inner),
                    other => flat.push(other),
                }
            }
            (Plan::Sequence(flat), least)
        }
        Plan::Parallel(children) => {
            let mut flat = Vec::new();
            for child in children {
                match canonical(child) {
                    (Plan::Parallel(inner), _) => flat.extend(inner.into_iter().map(canonical)),
                    other => flat.push(other),
                }
            }
            flat.sort_by_key(|(_, least)| *least);
            let least = flat.first().map_or(usize::MAX, |(_, least)| *least);
            (
                Plan::Parallel(flat.into_iter().map(|(plan, _)| plan).collect()),
                least,
            )
        }
    }
}

/// The best makespan over every series-parallel extension, by brute force over subsets (small
/// inputs only): a set either splits into two groups with no edge between them (run in
/// parallel) or into a downset and the rest (run in series).
fn optimum(input: &PlanInput) -> u64 {
    let nodes = input.weights.len();
    let mut preds = vec![0u32; nodes];
    let mut adjacent = vec![0u32; nodes];
    for &(from, to) in &input.edges {
        preds[to] |= 1 << from;
        adjacent[to] |= 1 << from;
        adjacent[from] |= 1 << to;
    }
    let mut best = vec![u64::MAX; 1 << nodes];
    for set in 1u32..(1 << nodes) {
        if set.count_ones() == 1 {
            best[set as usize] = input.weights[set.trailing_zeros() as usize];
            continue;
        }
        let mut value = u64::MAX;
        let mut part = (set - 1) & set;
        while part != 0 {
            let rest = set & !part;
            let members = |mask: u32| (0..nodes).filter(move |node| mask & (1 << node) != 0);
            let unrelated = members(part).all(|node| adjacent[node] & rest == 0);
            if unrelated {
                value = value.min(best[part as usize].max(best[rest as usize]));
            }
            let downset = members(part).all(|node| preds[node] & rest == 0);
            if downset {
                value = value.min(best[part as usize] + best[rest as usize]);
            }
            part = (part - 1) & set;
        }
        best[set as usize] = value;
    }
    best[(1usize << nodes) - 1]
}

fn assert_normalised(plan: &Plan) -> usize {
    match plan {
        Plan::Task(node) => *node,
        Plan::Sequence(children) => {
            assert!(children.len() > 1, "single-child sequence in {plan:?}");
            children
                .iter()
                .map(|child| {
                    assert!(!matches!(child, Plan::Sequence(_)), "nested sequence");
                    assert_normalised(child)
                })
                .min()
                .unwrap_or(usize::MAX)
        }
        Plan::Parallel(children) => {
            assert!(children.len() > 1, "single-child parallel in {plan:?}");
            let firsts: Vec<usize> = children
                .iter()
                .map(|child| {
                    assert!(!matches!(child, Plan::Parallel(_)), "nested parallel");
                    assert_normalised(child)
                })
                .collect();
            assert!(
                firsts.windows(2).all(|pair| pair[0] < pair[1]),
                "branches out of order in {plan:?}"
            );
            firsts.into_iter().min().unwrap_or(usize::MAX)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn plans_are_valid_and_bounded(input in dag(60)) {
        let planned = plan(&input).expect("acyclic");
        if let Err(message) = validate(&planned, &input) {
            panic!("{message}: {planned:?}");
        }
        assert_normalised(&planned);
        let span = makespan(&planned, &input.weights);
        let waves = level_waves(&input);
        prop_assert!(validate(&waves, &input).is_ok());
        prop_assert!(span >= critical_path(&input.weights, &input.edges));
        prop_assert!(span <= makespan(&waves, &input.weights));
        prop_assert_eq!(&plan(&input).expect("acyclic"), &planned);
    }

    #[test]
    fn small_plans_are_optimal(input in dag(8)) {
        let planned = plan(&input).expect("acyclic");
        prop_assert!(validate(&planned, &input).is_ok());
        prop_assert_eq!(makespan(&planned, &input.weights), optimum(&input));
    }

    #[test]
    fn series_parallel_dags_are_planned_exactly(
        shape in shape(),
        seed in any::<u64>(),
        shortcuts in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 0..6),
    ) {
        let nodes = leaves(&shape);
        // Number the leaves in a shuffled order.
        let mut numbering: Vec<usize> = (0..nodes).collect();
        let mut state = seed | 1;
        for index in (1..nodes).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            numbering.swap(index, (state % (index as u64 + 1)) as usize);
        }
        let mut edges = Vec::new();
        let (expected, _, _) = build(&shape, &numbering, &mut 0, &mut edges);
        let weights: Vec<u64> = (0..nodes).map(|node| (node as u64 * 7) % 10 + 1).collect();
        // Redundant (transitive) edges must not change anything.
        let reduced = PlanInput { weights: weights.clone(), edges: edges.clone() };
        for (from, to) in shortcuts {
            let (from, to) = (from.index(nodes), to.index(nodes));
            if reaches(&reduced, from, to) {
                edges.push((from, to));
            }
        }
        let input = PlanInput { weights, edges };
        let planned = plan(&input).expect("acyclic");
        prop_assert!(validate(&planned, &input).is_ok());
        prop_assert_eq!(&planned, &canonical_plan(expected));
        prop_assert_eq!(makespan(&planned, &input.weights), critical_path(&input.weights, &input.edges));
    }

    #[test]
    fn cycles_and_unknown_nodes_are_errors(
        weights in prop::collection::vec(0u64..5, 1..20),
        pairs in prop::collection::vec((0usize..25, 0usize..25), 0..40),
    ) {
        let input = PlanInput { weights, edges: pairs };
        match plan(&input) {
            Ok(planned) => prop_assert!(validate(&planned, &input).is_ok()),
            Err(PlanError::UnknownNode { edge, nodes }) => prop_assert!(edge.0 >= nodes || edge.1 >= nodes),
            Err(PlanError::Cycle { cycle }) => {
                prop_assert!(!cycle.is_empty());
                for (index, &from) in cycle.iter().enumerate() {
                    let to = cycle[(index + 1) % cycle.len()];
                    prop_assert!(input.edges.contains(&(from, to)));
                }
            }
        }
        // The helpers never panic either.
        let _ = level_waves(&input);
        let _ = critical_path(&input.weights, &input.edges);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn larger_plans_are_valid_and_bounded(input in dag(400)) {
        // Large enough for the heuristics (staged encoding, cuts, candidate search).
        let planned = plan(&input).expect("acyclic");
        if let Err(message) = validate(&planned, &input) {
            panic!("{message}");
        }
        assert_normalised(&planned);
        let span = makespan(&planned, &input.weights);
        prop_assert!(span >= critical_path(&input.weights, &input.edges));
        prop_assert!(span <= makespan(&level_waves(&input), &input.weights));
    }
}

fn canonical_plan(plan: Plan) -> Plan {
    let (plan, _) = canonical(plan);
    unwrap_single(plan)
}

/// Removes the single-child containers a one-leaf shape can leave (none otherwise).
fn unwrap_single(plan: Plan) -> Plan {
    match plan {
        Plan::Sequence(mut children) | Plan::Parallel(mut children) if children.len() == 1 => {
            unwrap_single(children.remove(0))
        }
        Plan::Sequence(children) => {
            Plan::Sequence(children.into_iter().map(unwrap_single).collect())
        }
        Plan::Parallel(children) => {
            Plan::Parallel(children.into_iter().map(unwrap_single).collect())
        }
        task => task,
    }
}

fn reaches(input: &PlanInput, from: usize, to: usize) -> bool {
    let mut seen = vec![false; input.weights.len()];
    let mut stack = vec![from];
    while let Some(node) = stack.pop() {
        for &(a, b) in &input.edges {
            if a == node && !seen[b] {
                if b == to {
                    return true;
                }
                seen[b] = true;
                stack.push(b);
            }
        }
    }
    false
}
