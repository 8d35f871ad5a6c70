//! Benchmarks of compiling (what `wfc compile` does besides reading and writing files:
//! `project::analyze` then `emit::compile`) one workflow of 1,000, 10,000 and 100,000 tasks, in
//! two shapes: `chain` (the realistic generated workflows: chains with switches, fan-outs, HTTP,
//! scripts) and `dag` (a random sparse DAG that is not series-parallel, where the planner works
//! hardest). Figures and how to reproduce them: docs/benchmarks.md.

use std::path::PathBuf;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use wfc_compiler::config::Config;
use wfc_compiler::emit;
use wfc_compiler::project::{InputFile, NoLoader, analyze};

mod corpus;

/// The allocator the `wfc` binary uses, so the figures are those users get.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn inputs(project: Vec<(String, String)>) -> Vec<InputFile> {
    project
        .into_iter()
        .map(|(path, text)| InputFile {
            path: PathBuf::from(path),
            text,
        })
        .collect()
}

fn compile(project: &[InputFile]) -> usize {
    let analysis = analyze(project.to_vec(), &NoLoader, &Config::default());
    emit::compile(&analysis).map_or(0, |compiled| compiled.workflows.len())
}

fn bench_compile(criterion: &mut Criterion) {
    let mut group = criterion.benchmark_group("compile");
    for tasks in [1_000, 10_000, 100_000] {
        for (shape, project) in [
            ("chain", corpus::project(1, tasks)),
            ("dag", corpus::dag_project(tasks)),
        ] {
            let project = inputs(project);
            let analysis = analyze(project.clone(), &NoLoader, &Config::default());
            assert!(
                analysis.diagnostics.is_empty(),
                "the generated {shape} workflow must check clean: {:?}",
                analysis.diagnostics.first()
            );
            assert_eq!(compile(&project), 1);
            group.sample_size(10);
            group.throughput(Throughput::Elements(tasks as u64));
            group.bench_with_input(
                BenchmarkId::new(shape, tasks),
                &project,
                |bencher, project| bencher.iter(|| compile(project)),
            );
        }
    }
    group.finish();
}

criterion_group!(benches, bench_compile);
criterion_main!(benches);
