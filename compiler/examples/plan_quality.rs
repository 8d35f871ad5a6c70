//! Quality and speed report of the planner (`wfc_compiler::plan`) on random DAGs:
//! `cargo run --release -p wfc-compiler --example plan_quality [GRAPHS_PER_SHAPE]`.
//!
//! For random DAGs of 10–1,000 nodes in three shapes it prints the distribution of
//! makespan / critical path for the planner and for plain level waves, then the time to plan
//! 1,000, 10,000 and 100,000 nodes. Figures are recorded in docs/benchmarks.md ("Planner").
//! The generator is shared with the criterion benchmark (compiler/benches/plan.rs).

use std::time::{Duration, Instant};

use wfc_compiler::plan::{PlanInput, critical_path, level_waves, makespan, plan, validate};

/// The allocator the `wfc` binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// xorshift64*: small, fast and good enough for generating test graphs.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound.max(1) as u64) as usize
    }

    /// True with probability `numerator / denominator`.
    pub fn chance(&mut self, numerator: usize, denominator: usize) -> bool {
        self.below(denominator) < numerator
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Layers of random width; each node depends on 1–3 nodes of the previous layer (sometimes
    /// the one before).
    Layered,
    /// Node `j` depends on 0–3 random earlier nodes within a window (8, 32, 128 or all).
    Sparse,
    /// A random series-parallel composition (joins inserted to keep it sparse), plus in most
    /// graphs a few random extra edges that break the structure locally.
    SeriesParallelish,
}

pub const SHAPES: [Shape; 3] = [Shape::Layered, Shape::Sparse, Shape::SeriesParallelish];

impl Shape {
    pub fn name(self) -> &'static str {
        match self {
            Shape::Layered => "layered",
            Shape::Sparse => "sparse",
            Shape::SeriesParallelish => "sp-ish",
        }
    }
}

/// A random DAG of about `nodes` nodes (exactly, except for series-parallel shapes), edges
/// from lower to higher numbers, weights 1–10.
pub fn random_dag(rng: &mut Rng, shape: Shape, nodes: usize) -> PlanInput {
    let mut edges = Vec::new();
    let count = match shape {
        Shape::Layered => {
            let average = ((nodes as f64).sqrt() as usize).max(1);
            let mut layers: Vec<(usize, usize)> = Vec::new(); // (first node, width)
            let mut next = 0;
            while next < nodes {
                let width = (1 + rng.below(2 * average)).min(nodes - next);
                if let Some(&(start, previous)) = layers.last() {
                    for node in next..next + width {
                        for _ in 0..1 + rng.below(3) {
                            let (start, previous) = if layers.len() >= 2 && rng.chance(1, 5) {
                                layers[layers.len() - 2]
                            } else {
                                (start, previous)
                            };
                            edges.push((start + rng.below(previous), node));
                        }
                    }
                }
                layers.push((next, width));
                next += width;
            }
            nodes
        }
        Shape::Sparse => {
            let window = [8, 32, 128, nodes][rng.below(4)].max(1);
            for node in 1..nodes {
                let degree = if rng.chance(1, 10) {
                    0
                } else {
                    1 + rng.below(3)
                };
                for _ in 0..degree {
                    let span = window.min(node);
                    edges.push((node - 1 - rng.below(span), node));
                }
            }
            nodes
        }
        Shape::SeriesParallelish => {
            let mut next = 0;
            series_parallel(rng, nodes.max(1), &mut next, &mut edges);
            if !rng.chance(1, 4) {
                for _ in 0..next / 20 {
                    let from = rng.below(next);
                    if from + 1 < next {
                        let to = from + 1 + rng.below((next - from - 1).min(20));
                        edges.push((from, to));
                    }
                }
            }
            next
        }
    };
    let weights = (0..count).map(|_| 1 + rng.below(10) as u64).collect();
    PlanInput { weights, edges }
}

/// A random series-parallel DAG of about `nodes` nodes numbered from `*next`; returns its
/// sources and sinks.
fn series_parallel(
    rng: &mut Rng,
    nodes: usize,
    next: &mut usize,
    edges: &mut Vec<(usize, usize)>,
) -> (Vec<usize>, Vec<usize>) {
    if nodes <= 1 {
        let node = *next;
        *next += 1;
        return (vec![node], vec![node]);
    }
    let parts = (2 + rng.below(3)).min(nodes);
    // Random sizes summing to `nodes`, each at least 1.
    let mut cuts: Vec<usize> = (0..parts - 1).map(|_| 1 + rng.below(nodes - 1)).collect();
    cuts.sort_unstable();
    cuts.dedup();
    cuts.push(nodes);
    let mut sizes = Vec::new();
    let mut previous = 0;
    for cut in cuts {
        sizes.push(cut - previous);
        previous = cut;
    }
    if rng.chance(1, 2) {
        let mut sources = Vec::new();
        let mut sinks: Vec<usize> = Vec::new();
        for (index, mut size) in sizes.into_iter().enumerate() {
            // Many-to-many links become a join task, as authors would write them.
            let join = index > 0 && sinks.len() > 2 && size > 1;
            if join {
                let node = *next;
                *next += 1;
                edges.extend(sinks.iter().map(|&sink| (sink, node)));
                sinks = vec![node];
                size -= 1;
            }
            let (part_sources, part_sinks) = series_parallel(rng, size, next, edges);
            if index == 0 {
                sources = part_sources;
            } else {
                for &from in &sinks {
                    edges.extend(part_sources.iter().map(|&to| (from, to)));
                }
            }
            sinks = part_sinks;
        }
        (sources, sinks)
    } else {
        let mut sources = Vec::new();
        let mut sinks = Vec::new();
        for size in sizes {
            let (part_sources, part_sinks) = series_parallel(rng, size, next, edges);
            sources.extend(part_sources);
            sinks.extend(part_sinks);
        }
        (sources, sinks)
    }
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[index]
}

fn summary(ratios: &mut [f64]) -> String {
    ratios.sort_by(f64::total_cmp);
    format!(
        "median {:.3}  p90 {:.3}  max {:.3}",
        quantile(ratios, 0.5),
        quantile(ratios, 0.9),
        quantile(ratios, 1.0)
    )
}

/// Median wall time of `runs` plannings of `input`.
fn time_plan(input: &PlanInput, runs: usize) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let planned = plan(input);
            let elapsed = start.elapsed();
            std::hint::black_box(planned).ok();
            elapsed
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

#[allow(dead_code)] // `main` is unused when the benchmark includes this file as a module.
fn main() {
    let graphs: usize = std::env::args()
        .nth(1)
        .and_then(|value| value.parse().ok())
        .unwrap_or(300);
    let mut rng = Rng::new(2026);
    println!("quality: makespan / critical path, {graphs} random DAGs of 10–1,000 nodes per shape");
    let mut all_plan = Vec::new();
    let mut all_waves = Vec::new();
    let mut worse = 0;
    let mut exact = 0;
    for shape in SHAPES {
        let mut planned_ratios = Vec::new();
        let mut waves_ratios = Vec::new();
        for _ in 0..graphs {
            // Log-uniform sizes between 10 and 1,000.
            let nodes = (10f64 * 100f64.powf(rng.below(1001) as f64 / 1000.0)) as usize;
            let input = random_dag(&mut rng, shape, nodes);
            let planned = plan(&input).expect("generated DAGs are acyclic");
            if let Err(message) = validate(&planned, &input) {
                panic!("invalid plan: {message}");
            }
            let lower = critical_path(&input.weights, &input.edges) as f64;
            let span = makespan(&planned, &input.weights) as f64;
            let waves = makespan(&level_waves(&input), &input.weights) as f64;
            worse += usize::from(span > waves);
            exact += usize::from(span == lower);
            planned_ratios.push(span / lower);
            waves_ratios.push(waves / lower);
        }
        all_plan.extend_from_slice(&planned_ratios);
        all_waves.extend_from_slice(&waves_ratios);
        println!(
            "  {:8} plan   {}\n  {:8} waves  {}",
            shape.name(),
            summary(&mut planned_ratios),
            "",
            summary(&mut waves_ratios)
        );
    }
    println!(
        "  {:8} plan   {}\n  {:8} waves  {}",
        "all",
        summary(&mut all_plan),
        "",
        summary(&mut all_waves)
    );
    println!(
        "  plans slower than level waves: {worse}; plans equal to the critical path: {exact} of {}",
        all_plan.len()
    );
    println!("speed: median wall time of `plan` (runs), and makespan / critical path");
    for shape in SHAPES {
        for nodes in [1_000, 10_000, 100_000] {
            let input = random_dag(&mut rng, shape, nodes);
            let runs = if nodes >= 100_000 { 5 } else { 11 };
            let time = time_plan(&input, runs);
            let planned = plan(&input).expect("acyclic");
            let lower = critical_path(&input.weights, &input.edges) as f64;
            let span = makespan(&planned, &input.weights) as f64;
            let waves = makespan(&level_waves(&input), &input.weights) as f64;
            println!(
                "  {:8} {:>7} nodes {:>7} edges  {:>9.2} ms  plan {:.3}  waves {:.3}",
                shape.name(),
                input.weights.len(),
                input.edges.len(),
                time.as_secs_f64() * 1000.0,
                span / lower,
                waves / lower,
            );
        }
    }
}
