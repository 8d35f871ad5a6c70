//! Benchmarks of `project::analyze` (what `wfc check` does besides reading files and printing):
//! throughput over a generated project of 200 workflows (~2 MB), and one ~10,000-line workflow.
//! Figures and how to reproduce them: docs/benchmarks.md.

use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wfc_compiler::config::Config;
use wfc_compiler::project::{InputFile, NoLoader, analyze};

// Shared with benches/compile.rs, which also uses the DAG generators.
#[allow(dead_code)]
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

fn bench_check(criterion: &mut Criterion) {
    let project = inputs(corpus::project(200, 60));
    let bytes: usize = project.iter().map(|file| file.text.len()).sum();
    let diagnostics = analyze(project.clone(), &NoLoader, &Config::default()).diagnostics;
    assert!(
        diagnostics.is_empty(),
        "the generated corpus must check clean: {diagnostics:?}"
    );
    let mut group = criterion.benchmark_group("check");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("corpus_200_files", |bencher| {
        bencher.iter(|| analyze(project.clone(), &NoLoader, &Config::default()))
    });
    let large = inputs(corpus::project(1, 1700));
    let lines = large
        .iter()
        .map(|file| file.text.lines().count())
        .max()
        .unwrap_or(0);
    assert!(lines >= 10_000, "the large workflow has {lines} lines");
    group.throughput(Throughput::Elements(lines as u64));
    group.bench_function("one_10000_line_workflow", |bencher| {
        bencher.iter(|| analyze(large.clone(), &NoLoader, &Config::default()))
    });
    group.finish();
}

criterion_group!(benches, bench_check);
criterion_main!(benches);
