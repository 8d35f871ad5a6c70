//! Every `queryExpression` of the Conductor workflow corpus must pass the jq syntax check, except
//! the ones listed in `KNOWN_INVALID`, which jackson-jq rejects as well.
//!
//! The corpus lives outside the repository (`/work/shared/conductor/corpus`, or the directory in
//! `WFC_CONDUCTOR_CORPUS`); without it the test prints a message and passes.

use std::path::{Path, PathBuf};

use wfc_compiler::jq::check_syntax;

/// Programs in the corpus that are not valid jq, with the reason.
const KNOWN_INVALID: &[(&str, &str)] = &[(
    "[{id: 1, value: 'task1'}, {id: 2, value: 'task2'}]",
    "single-quoted strings are not jq (jq, jackson-jq and jaq all reject them); the corpus file \
     do_while_timeline_ui_demo.json is referenced by no test",
)];

fn corpus_directory() -> PathBuf {
    std::env::var_os("WFC_CONDUCTOR_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/conductor/corpus"))
}

fn collect_query_expressions(value: &serde_json::Value, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                if key == "queryExpression"
                    && let serde_json::Value::String(program) = child
                {
                    found.push(program.clone());
                }
                collect_query_expressions(child, found);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                collect_query_expressions(item, found);
            }
        }
        _ => {}
    }
}

fn json_files(directory: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "json")
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_corpus_query_expression_passes() {
    let directory = corpus_directory();
    if !directory.is_dir() {
        println!(
            "skipping: Conductor corpus not found at {} (set WFC_CONDUCTOR_CORPUS)",
            directory.display()
        );
        return;
    }
    let mut checked = 0;
    let mut failures = Vec::new();
    for file in json_files(&directory) {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let Ok(document) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let mut programs = Vec::new();
        collect_query_expressions(&document, &mut programs);
        for program in programs {
            checked += 1;
            let known_invalid = KNOWN_INVALID.iter().any(|(invalid, _)| *invalid == program);
            match (check_syntax(&program), known_invalid) {
                (Ok(()), false) | (Err(_), true) => {}
                (Ok(()), true) => failures.push(format!(
                    "{}: expected an error for {program:?}",
                    file.display()
                )),
                (Err(error), false) => failures.push(format!(
                    "{}: {program:?}: {} at {:?}",
                    file.display(),
                    error.message,
                    error.range
                )),
            }
        }
    }
    println!(
        "checked {checked} queryExpressions from {}",
        directory.display()
    );
    assert!(
        checked > 0,
        "no queryExpression found in {}",
        directory.display()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
