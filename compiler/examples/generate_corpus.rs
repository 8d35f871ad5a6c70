//! Writes a generated project for benchmarking the `wfc` binary:
//! `cargo run --release -p wfc-compiler --example generate_corpus -- DIR FILES TASKS`.

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
    std::fs::create_dir_all(&directory)?;
    let mut bytes = 0;
    for (name, text) in corpus::project(files, tasks) {
        bytes += text.len();
        std::fs::write(directory.join(name), text)?;
    }
    eprintln!(
        "wrote {} files, {bytes} bytes, to {}",
        files + 1,
        directory.display()
    );
    Ok(())
}
