//! Every directory under `examples/` is a complete project that `wfc check` accepts without a
//! single diagnostic (errors, warnings and infos alike): the examples are what users copy.

use std::path::{Path, PathBuf};

use wfc_compiler::config::Config;
use wfc_compiler::project::{FileSystemLoader, InputFile, analyze};

fn yaml_files(directory: &Path, found: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(directory)
        .expect("read example directory")
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            yaml_files(&path, found);
        } else if path
            .file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.ends_with(".wf.yaml") || name.ends_with(".workers.yaml"))
        {
            found.push(path);
        }
    }
}

#[test]
fn every_example_is_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut projects: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("examples/")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.is_dir())
        .collect();
    projects.sort();
    assert!(
        !projects.is_empty(),
        "no example projects under {}",
        root.display()
    );
    let mut problems = Vec::new();
    for project in &projects {
        let mut files = Vec::new();
        yaml_files(project, &mut files);
        assert!(!files.is_empty(), "{} holds no workflow", project.display());
        let inputs: Vec<InputFile> = files
            .iter()
            .map(|path| InputFile {
                path: path.clone(),
                text: std::fs::read_to_string(path).expect("read example"),
            })
            .collect();
        let analysis = analyze(inputs, &FileSystemLoader, &Config::default());
        assert!(
            !analysis.workflows.is_empty(),
            "{} has no workflow",
            project.display()
        );
        if !analysis.diagnostics.is_empty() {
            problems.push(wfc_compiler::render::human::render(
                &analysis.sources,
                &analysis.diagnostics,
                &wfc_compiler::render::Options::default(),
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "examples have diagnostics:\n{}",
        problems.join("\n")
    );
}
