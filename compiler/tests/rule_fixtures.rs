//! Fixture-driven tests: every rule has a directory `tests/fixtures/rules/<CODE>-<name>/` holding
//! a small project: its `*.yaml` files, and a `wfc.toml` if there is one. Files named `pass*` must
//! produce no diagnostic at all; the others carry inline annotations, comment lines whose carets
//! point at the line above:
//!
//! ```yaml
//!     worker: biuld
//!     #       ^^^^^ WF021
//! ```
//!
//! An annotation matches a diagnostic with that code whose span starts on the annotated line at
//! the first caret and (for single-line spans) ends at the last caret; an empty span is written
//! as a single caret. A span starting in column 1, where no `#` fits before it, is written with
//! the carets right after a `#` in column 1; they are read one column to the left (`#^^^^^^^^`
//! under `workflow: x` marks `workflow`). Every diagnostic must be annotated and every annotation
//! matched. The rendered diagnostics of each fixture are snapshotted too, so the messages users
//! see are reviewed like code.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use wfc_compiler::Diagnostic;
use wfc_compiler::config::Config;
use wfc_compiler::project::{FileSystemLoader, InputFile, analyze};
use wfc_compiler::source::{ColumnUnit, SourceDb};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Expected {
    file: String,
    line: usize,
    start_column: usize,
    end_column: usize,
    code: String,
}

fn fixture_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules")
}

fn annotations(file_name: &str, text: &str) -> Vec<Expected> {
    let lines: Vec<&str> = text.lines().collect();
    let mut expected = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let Some(after_hash) = trimmed.strip_prefix('#') else {
            continue;
        };
        if !after_hash.trim_start().starts_with('^') {
            continue;
        }
        // The annotated line is the closest previous line that is not an annotation.
        let mut target = index;
        while target > 0 {
            target -= 1;
            let candidate = lines[target].trim_start();
            let is_annotation = candidate
                .strip_prefix('#')
                .is_some_and(|rest| rest.trim_start().starts_with('^'));
            if !is_annotation {
                break;
            }
        }
        let caret = line.find('^').unwrap_or(0);
        let carets = line[caret..]
            .chars()
            .take_while(|character| *character == '^')
            .count();
        let end_of_carets = caret + carets;
        // `#^^^` in column 1 marks a span starting in column 1.
        let start = if line.starts_with("#^") { 0 } else { caret };
        let end = start + carets;
        for code in line[end_of_carets..]
            .split_whitespace()
            .filter(|word| word.starts_with("WF"))
        {
            expected.push(Expected {
                file: file_name.to_string(),
                line: target + 1,
                start_column: start + 1,
                end_column: end + 1,
                code: code.to_string(),
            });
        }
    }
    expected
}

fn run_fixture(directory: &Path) -> (Vec<String>, String) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(directory)
        .expect("fixture dir")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "yaml")
        })
        .collect();
    files.sort();
    // Mock files of `wfc run` (`X.mocks.yaml`) are checked against the compiled workflow of
    // `X.wf.yaml`, or of `pass.wf.yaml` when there is no such file.
    let (mock_files, files): (Vec<PathBuf>, Vec<PathBuf>) = files
        .into_iter()
        .partition(|path| path.to_string_lossy().ends_with(".mocks.yaml"));
    // Paths relative to the package (the working directory of tests) keep the snapshots portable.
    let inputs: Vec<InputFile> = files
        .iter()
        .map(|path| InputFile {
            path: path
                .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                .unwrap_or(path)
                .to_path_buf(),
            text: std::fs::read_to_string(path).expect("read fixture"),
        })
        .collect();
    // A `wfc.toml` beside the files configures the project, as it does for `wfc check`; its own
    // mistakes (WF005) are annotated in it like those of the YAML files.
    let config_path = directory.join("wfc.toml");
    let mut config_sources = SourceDb::new();
    let mut config = Config::default();
    let mut config_diagnostics = Vec::new();
    let mut expected: Vec<Expected> = Vec::new();
    if let Ok(text) = std::fs::read_to_string(&config_path) {
        let relative = config_path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(&config_path)
            .to_string_lossy()
            .into_owned();
        let file = config_sources.add(relative, text.as_str());
        (config, config_diagnostics) = Config::parse(file, &text);
        expected.extend(annotations("wfc.toml", &text));
    }
    let mut analysis = analyze(inputs.clone(), &FileSystemLoader, &config);
    let mut problems = Vec::new();
    let mock_diagnostics = check_mocks(&mut analysis, &mock_files, &config);
    for path in &mock_files {
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default()
            .to_string();
        let text = std::fs::read_to_string(path).expect("read mock fixture");
        expected.extend(annotations(&name, &text));
    }
    analysis.diagnostics.extend(mock_diagnostics);
    wfc_compiler::diagnostic::sort_diagnostics(&mut analysis.diagnostics);
    for input in &inputs {
        let name = input
            .path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default()
            .to_string();
        expected.extend(annotations(&name, &input.text));
    }
    let mut actual: Vec<(Expected, String)> = Vec::new();
    for (sources, diagnostics) in [
        (&config_sources, &config_diagnostics),
        (&analysis.sources, &analysis.diagnostics),
    ] {
        for diagnostic in diagnostics {
            actual.push((
                position(sources, diagnostic),
                format!(
                    "{}: {}",
                    diagnostic.message,
                    diagnostic.label.clone().unwrap_or_default()
                ),
            ));
        }
    }
    for (found, message) in &actual {
        if found.file.starts_with("pass") {
            problems.push(format!(
                "{}:{}:{} unexpected {} in a pass file: {message}",
                found.file, found.line, found.start_column, found.code
            ));
        } else if !expected.contains(found) {
            problems.push(format!(
                "{}:{}:{}-{} unannotated {}: {message}",
                found.file, found.line, found.start_column, found.end_column, found.code
            ));
        }
    }
    for wanted in &expected {
        if !actual.iter().any(|(found, _)| found == wanted) {
            problems.push(format!(
                "{}:{}:{}-{} expected {} was not reported",
                wanted.file, wanted.line, wanted.start_column, wanted.end_column, wanted.code
            ));
        }
    }
    let options = wfc_compiler::render::Options::default();
    let mut rendered = String::new();
    if !config_diagnostics.is_empty() {
        rendered.push_str(&wfc_compiler::render::human::render(
            &config_sources,
            &config_diagnostics,
            &options,
        ));
        rendered.push('\n');
    }
    rendered.push_str(&wfc_compiler::render::human::render(
        &analysis.sources,
        &analysis.diagnostics,
        &options,
    ));
    (problems, rendered)
}

/// Checks each mock file against the workflow it is named after, adding it to the sources.
fn check_mocks(
    analysis: &mut wfc_compiler::project::Analysis,
    mock_files: &[PathBuf],
    config: &Config,
) -> Vec<Diagnostic> {
    if mock_files.is_empty() {
        return Vec::new();
    }
    let compiled = wfc_compiler::emit::compile(analysis).expect("fixture compiles");
    let mut diagnostics = Vec::new();
    for path in mock_files {
        let text = std::fs::read_to_string(path).expect("read mock fixture");
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default();
        let stem = name.trim_end_matches(".mocks.yaml");
        let workflow_file = [format!("{stem}.wf.yaml"), "pass.wf.yaml".to_string()]
            .into_iter()
            .find_map(|candidate| {
                analysis.sources.iter().find_map(|(file, source)| {
                    source
                        .path
                        .ends_with(&format!("/{candidate}"))
                        .then_some(file)
                })
            })
            .expect("a workflow for the mock file");
        let mut definitions: Vec<serde_json::Value> = compiled
            .workflows
            .iter()
            .filter(|workflow| workflow.file == workflow_file)
            .map(|workflow| workflow.definition.clone())
            .collect();
        definitions.extend(
            compiled
                .workflows
                .iter()
                .filter(|workflow| workflow.file != workflow_file)
                .map(|workflow| workflow.definition.clone()),
        );
        let relative = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned();
        let file = analysis.sources.add(relative, text.as_str());
        let project = wfc_compiler::mocks::Project {
            definitions: &definitions,
            analysis: Some(analysis),
        };
        diagnostics.extend(wfc_compiler::mocks::check(file, &text, &project, config).diagnostics);
    }
    diagnostics
}

/// Where a diagnostic starts and ends, in the terms of the annotations.
fn position(sources: &SourceDb, diagnostic: &Diagnostic) -> Expected {
    let source = sources.get(diagnostic.file).expect("file");
    let start = source.line_index().line_column(
        &source.text,
        diagnostic.span.start as usize,
        ColumnUnit::Char,
    );
    let end = source.line_index().line_column(
        &source.text,
        diagnostic.span.end as usize,
        ColumnUnit::Char,
    );
    let end_column = if diagnostic.span.is_empty() {
        start.column as usize + 1
    } else if end.line == start.line {
        end.column as usize
    } else {
        let line_text = source
            .text
            .lines()
            .nth(start.line as usize - 1)
            .unwrap_or_default();
        line_text.chars().count() + 1
    };
    let name = Path::new(&source.path)
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or_default()
        .to_string();
    Expected {
        file: name,
        line: start.line as usize,
        start_column: start.column as usize,
        end_column,
        code: diagnostic.code.to_string(),
    }
}

#[test]
fn every_rule_fixture_matches_its_annotations() {
    let root = fixture_root();
    let mut directories: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("fixtures/rules")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.is_dir())
        .collect();
    directories.sort();
    let mut failures: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for directory in &directories {
        let name = directory
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default()
            .to_string();
        let (problems, rendered) = run_fixture(directory);
        // The fixture must exercise the rule it is named after.
        let code = name.split('-').next().unwrap_or_default().to_string();
        let mentions_code = std::fs::read_dir(directory)
            .expect("dir")
            .filter_map(|entry| std::fs::read_to_string(entry.expect("entry").path()).ok())
            .any(|text| {
                annotations("", &text)
                    .iter()
                    .any(|annotation| annotation.code == code)
            });
        let mut problems = problems;
        if !mentions_code {
            problems.push(format!("no annotation expects {code}"));
        }
        let has_pass = std::fs::read_dir(directory).expect("dir").any(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .starts_with("pass")
        });
        if !has_pass {
            problems.push("no pass file (a correct case)".to_string());
        }
        if !problems.is_empty() {
            failures.insert(name.clone(), problems);
        }
        insta::with_settings!({snapshot_path => "snapshots/rules", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(name, rendered);
        });
    }
    for rule in wfc_compiler::rules::ALL {
        if !directories.iter().any(|directory| {
            directory
                .file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.split('-').next() == Some(rule.code))
        }) {
            failures
                .entry(rule.code.to_string())
                .or_default()
                .push(format!(
                    "rule {} `{}` has no fixture directory",
                    rule.code, rule.name
                ));
        }
    }
    assert!(
        failures.is_empty(),
        "fixture failures:\n{}",
        failures
            .iter()
            .map(|(name, problems)| format!("{name}:\n  {}", problems.join("\n  ")))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
