//! Runs one `wfc run` benchmark workload once in a fresh process and prints how long it took, so
//! that `/usr/bin/time -v` can report its peak memory:
//! `cargo run --release -p wfc-runtime --example run_scenario -- dynamic_fork`
//! (or `sequential_forks`, `chain`). See docs/benchmarks.md ("wfc run").

use std::sync::Arc;
use std::time::Instant;

use wfc_runtime::event::DiscardingRecorder;

#[path = "../benches/scenarios/mod.rs"]
mod scenarios;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let name = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "dynamic_fork".to_owned());
    let scenario = match name.as_str() {
        "dynamic_fork" => scenarios::dynamic_fork(10_000),
        "sequential_forks" => scenarios::sequential_forks(100, 100),
        "chain" => scenarios::chain(1_000),
        other => {
            eprintln!("unknown scenario `{other}`: dynamic_fork, sequential_forks or chain");
            std::process::exit(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("tokio: {error}");
            std::process::exit(2);
        }
    };
    let started = Instant::now();
    let outcome = runtime.block_on(scenarios::run(&scenario, Arc::new(DiscardingRecorder)));
    println!(
        "{name}: {} worker tasks, {} tasks in the workflow, {:?}",
        scenario.worker_tasks,
        outcome.workflow.tasks.len(),
        started.elapsed()
    );
}
