//! `wfc run`'s engine on mocked workers: 10,000 tasks as one dynamic fork and as 100 sequential
//! forks of 100 (goal: ≤ 1 s each, end to end), and the per-task overhead on a chain of tasks.
//! Figures and how to reproduce them: docs/benchmarks.md ("wfc run").

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wfc_runtime::event::{DiscardingRecorder, MemoryRecorder};

mod scenarios;

/// The allocator the `wfc` binary uses, so the figures are those users get.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn runtime() -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => panic!("tokio: {error}"),
    }
}

fn bench_ten_thousand(criterion: &mut Criterion) {
    let runtime = runtime();
    let mut group = criterion.benchmark_group("run_10k");
    group.sample_size(10);
    for scenario in [
        scenarios::dynamic_fork(10_000),
        scenarios::sequential_forks(100, 100),
    ] {
        group.throughput(Throughput::Elements(scenario.worker_tasks as u64));
        group.bench_function(scenario.name, |bencher| {
            bencher
                .iter(|| runtime.block_on(scenarios::run(&scenario, Arc::new(DiscardingRecorder))));
        });
        group.bench_function(format!("{}_recorded_in_memory", scenario.name), |bencher| {
            bencher.iter(|| {
                runtime.block_on(scenarios::run(&scenario, Arc::new(MemoryRecorder::new())))
            });
        });
    }
    group.finish();
}

fn bench_per_task(criterion: &mut Criterion) {
    let runtime = runtime();
    let mut group = criterion.benchmark_group("run_per_task");
    group.sample_size(10);
    let scenario = scenarios::chain(1_000);
    group.throughput(Throughput::Elements(scenario.worker_tasks as u64));
    group.bench_function("chain_1000", |bencher| {
        bencher.iter(|| runtime.block_on(scenarios::run(&scenario, Arc::new(DiscardingRecorder))));
    });
    group.finish();
}

criterion_group!(benches, bench_ten_thousand, bench_per_task);
criterion_main!(benches);
