//! Writes a generated project for benchmarking the `wfc` binary:
//! `cargo run --release -p wfc-compiler --example generate_corpus -- DIR FILES TASKS [chain|dag]`
//! (`chain`, the default: realistic workflows, mostly chains with switches and fan-outs; `dag`:
//! one workflow of TASKS tasks forming a random DAG that is not series-parallel, FILES ignored).

#[path = "../benches/corpus/mod.rs"]
mod corpus;

fn main() -> std::io::Result<()> {
    let mut arguments = std::env::args().skip(1);
    let directory =
        std::path::PathBuf::from(arguments.next().unwrap_or_else(|| "target/corpus".into()));
    let files: usize = arguments
        .next()
        .and_then(|value| value.parse().ok())
        .unwrap_or(200);
    let tasks: usize = arguments
        .next()
        .and_then(|value| value.parse().ok())
        .unwrap_or(60);
    let project = match arguments.next().as_deref() {
        Some("dag") => corpus::dag_project(tasks),
        _ => corpus::project(files, tasks),
    };
    std::fs::create_dir_all(&directory)?;
    let mut bytes = 0;
    let count = project.len();
    for (name, text) in project {
        bytes += text.len();
        std::fs::write(directory.join(name), text)?;
    }
    eprintln!(
        "wrote {count} files, {bytes} bytes, to {}",
        directory.display()
    );
    Ok(())
}
