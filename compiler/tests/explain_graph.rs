//! `wfc explain` and `wfc graph` over the example projects and small fixtures: snapshots of the
//! plan explanations (what users read), answers to "why (not) parallel" for every relation two
//! tasks can have, and well-formed drawings in both languages and both views (checked with
//! Graphviz's own parser when `dot` is installed; `.ci/run` installs it).
//!
//! Snapshots live in `compiler/tests/snapshots/explain_graph__*.snap`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use wfc_compiler::config::Config;
use wfc_compiler::diagnostic::Severity;
use wfc_compiler::emit::{self, CheckedWorkflow};
use wfc_compiler::explain::Explainer;
use wfc_compiler::graph::{self, Language};
use wfc_compiler::project::{Analysis, FileSystemLoader, InputFile, analyze};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Analyses the files of the directory of `path` (relative to the workspace root), as
/// `wfc explain` does; the workflow at `path` must be clean. Returns the analysis and the
/// workflow's index.
fn analysis_of(path: &Path) -> (Analysis, usize) {
    let root = manifest_dir().join("..");
    let directory = path.parent().expect("a directory");
    let mut inputs: Vec<InputFile> = std::fs::read_dir(root.join(directory))
        .expect("read directory")
        .map(|entry| entry.expect("entry").path())
        .filter(|file| {
            let name = file.to_string_lossy();
            name.ends_with(".wf.yaml") || name.ends_with(".workers.yaml")
        })
        .map(|file| {
            let relative = directory.join(file.file_name().expect("file name"));
            InputFile {
                text: std::fs::read_to_string(&file).expect("read"),
                path: relative,
            }
        })
        .collect();
    inputs.sort_by(|left, right| left.path.cmp(&right.path));
    let analysis = analyze(inputs, &RootedLoader(root), &Config::default());
    let file = analysis
        .sources
        .find(&path.to_string_lossy())
        .expect("the workflow was analysed");
    let errors: Vec<_> = analysis
        .diagnostics_of(file)
        .filter(|diagnostic| diagnostic.severity == Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{path:?} has errors: {errors:?}");
    let index = analysis
        .workflows
        .iter()
        .position(|workflow| workflow.file == file)
        .expect("a workflow");
    (analysis, index)
}

/// Reads imported files relative to the workspace root.
struct RootedLoader(PathBuf);

impl wfc_compiler::project::SourceLoader for RootedLoader {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        if path.is_absolute() {
            FileSystemLoader.read(path)
        } else {
            FileSystemLoader.read(&self.0.join(path))
        }
    }
}

fn checked(analysis: &Analysis, index: usize) -> CheckedWorkflow<'_> {
    let workflow = &analysis.workflows[index];
    let graph = analysis
        .graphs
        .iter()
        .find(|(file, _)| *file == workflow.file)
        .map(|(_, graph)| graph)
        .expect("checked workflow");
    CheckedWorkflow {
        workflow,
        scope: &analysis.scopes[index],
        graph,
        sources: &analysis.sources,
    }
}

fn example_workflows() -> Vec<PathBuf> {
    let root = manifest_dir().join("..");
    let mut found = Vec::new();
    let mut projects: Vec<PathBuf> = std::fs::read_dir(root.join("examples"))
        .expect("examples")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.is_dir())
        .collect();
    projects.sort();
    for project in projects {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&project)
            .expect("project")
            .map(|entry| entry.expect("entry").path())
            .filter(|path| path.to_string_lossy().ends_with(".wf.yaml"))
            .collect();
        files.sort();
        for file in files {
            found.push(file.strip_prefix(&root).expect("inside root").to_path_buf());
        }
    }
    assert!(found.len() >= 7, "examples not found");
    found
}

#[test]
fn every_example_plan_is_explained() {
    for path in example_workflows() {
        let (analysis, index) = analysis_of(&path);
        let explainer = Explainer::new(checked(&analysis, index));
        let text = explainer.plan_text();
        let durations = explainer.durations();
        assert!(durations.critical <= durations.planned, "{path:?}");
        assert!(durations.planned <= durations.sequential, "{path:?}");
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .expect("name")
            .trim_end_matches(".wf.yaml")
            .to_string();
        insta::assert_snapshot!(format!("plan_{name}"), text);
    }
}

fn fixture_explainer_text(path: &str, first: &str, second: &str) -> String {
    let (analysis, index) = analysis_of(Path::new(path));
    let explainer = Explainer::new(checked(&analysis, index));
    explainer.why(first, second).expect("known tasks")
}

const ESTIMATES: &str = "compiler/tests/fixtures/explain/estimates.wf.yaml";
const FIRMWARE: &str = "examples/firmware-release/release_firmware.wf.yaml";

#[test]
fn why_a_chain_of_reads_orders_two_tasks() {
    let answer = fixture_explainer_text(FIRMWARE, "firmware", "deploy");
    assert_eq!(
        answer,
        "`deploy` runs after `firmware`: `approval` (in `gate`) reads \
         `${firmware.output.artifact}` (line 75:25), then `deploy` waits for `gate` (line 109:13)"
    );
    // Asked the other way round, the same chain.
    let reversed = fixture_explainer_text(FIRMWARE, "deploy", "firmware");
    assert!(
        reversed.starts_with("`deploy` runs after `firmware`"),
        "{reversed}"
    );
}

#[test]
fn why_independent_tasks_run_in_parallel() {
    let answer = fixture_explainer_text(FIRMWARE, "webapp", "tests");
    assert!(answer.contains("are independent"), "{answer}");
    assert!(answer.ends_with("so they run in parallel (different branches of one fork)"));
}

#[test]
fn why_cases_of_a_switch_never_both_run() {
    let answer = fixture_explainer_text(FIRMWARE, "promote", "stop");
    assert!(
        answer.contains(
            "`promote` and `stop` never both run: they are in different cases of switch `gate` \
             (case \"true\" and case \"false\")"
        ),
        "{answer}"
    );
    let nested = fixture_explainer_text(FIRMWARE, "gate", "promote");
    assert!(
        nested.starts_with("`promote` runs inside `gate` (case \"true\")"),
        "{nested}"
    );
}

#[test]
fn why_independent_tasks_may_still_be_ordered_by_the_plan() {
    // a → c, a → d, b → d is not series-parallel: b and c are independent, but one fork/join
    // layout has to order them.
    let answer = fixture_explainer_text(ESTIMATES, "b", "c");
    assert!(answer.contains("are independent"), "{answer}");
    assert!(answer.contains("yet the plan runs"), "{answer}");
    let ordered = fixture_explainer_text(ESTIMATES, "c", "ordered");
    assert!(
        ordered.starts_with("`ordered` runs after `c`: `ordered` waits for `c` (line 30:13)"),
        "{ordered}"
    );
}

#[test]
fn explain_reports_the_waiting_a_non_series_parallel_list_adds() {
    let (analysis, index) = analysis_of(Path::new(ESTIMATES));
    let explainer = Explainer::new(checked(&analysis, index));
    let durations = explainer.durations();
    // Critical path a (10m) → d (2m) → route, which lasts as long as its case (1s).
    assert_eq!(durations.critical, 12 * 60 + 1);
    assert!(durations.planned >= durations.critical);
    assert!(durations.planned < durations.sequential);
    insta::assert_snapshot!("plan_estimates", explainer.plan_text());
}

#[test]
fn unknown_tasks_get_a_did_you_mean() {
    let (analysis, index) = analysis_of(Path::new(FIRMWARE));
    let explainer = Explainer::new(checked(&analysis, index));
    assert_eq!(
        explainer.why("firmwre", "tests"),
        Err("no task `firmwre` in this workflow; did you mean `firmware`?".to_string())
    );
}

/// Every node an edge names is declared, and every declared node is on some edge.
fn assert_connected_drawing(text: &str, language: Language, context: &str) {
    let mut declared = std::collections::HashSet::new();
    let mut used = std::collections::HashSet::new();
    for line in text.lines() {
        let line = line.trim();
        let edge = match language {
            Language::Mermaid => {
                line.contains("-->") || line.contains("-.->") || line.contains("==>")
            }
            Language::Dot => line.contains(" -> "),
        };
        let words: Vec<&str> = line
            .split(|character: char| !character.is_ascii_alphanumeric() && character != '_')
            .filter(|word| {
                word.starts_with('t')
                    && word[1..].chars().all(|c| c.is_ascii_digit())
                    && word.len() > 1
            })
            .collect();
        if edge {
            let first = words.first().expect("edge source");
            let last = words.last().expect("edge target");
            used.insert(first.to_string());
            used.insert(last.to_string());
        } else if let Some(first) = words.first()
            && (line.starts_with(first))
        {
            declared.insert(first.to_string());
        }
    }
    for node in &used {
        assert!(
            declared.contains(node),
            "{context}: edge names undeclared {node}\n{text}"
        );
    }
    for node in &declared {
        assert!(
            used.contains(node),
            "{context}: {node} is on no edge\n{text}"
        );
    }
}

/// Graphviz's parser, when installed.
fn dot_accepts(text: &str) -> Option<bool> {
    let mut child = Command::new("dot")
        .arg("-Tcanon")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    use std::io::Write as _;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write to dot");
    let output = child.wait_with_output().expect("dot runs");
    if !output.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    }
    Some(output.status.success())
}

#[test]
fn every_example_draws_in_both_languages_and_views() {
    let mut dot_missing = false;
    for path in example_workflows() {
        let (analysis, index) = analysis_of(&path);
        let checked = checked(&analysis, index);
        let definition = emit::workflow_def(&checked);
        for language in [Language::Mermaid, Language::Dot] {
            for plan in [false, true] {
                let text = if plan {
                    graph::compiled(&checked, &definition, language)
                } else {
                    graph::authored(&checked, language)
                };
                let context = format!("{path:?} {language:?} plan={plan}");
                assert_connected_drawing(&text, language, &context);
                if language == Language::Dot {
                    match dot_accepts(&text) {
                        Some(accepted) => assert!(accepted, "{context}: dot rejects\n{text}"),
                        None => dot_missing = true,
                    }
                }
            }
        }
    }
    if dot_missing {
        eprintln!("note: Graphviz `dot` is not installed; DOT output was not parsed");
    }
}

#[test]
fn the_firmware_release_drawings() {
    let (analysis, index) = analysis_of(Path::new(FIRMWARE));
    let checked = checked(&analysis, index);
    insta::assert_snapshot!(
        "graph_firmware_mermaid",
        graph::authored(&checked, Language::Mermaid)
    );
    insta::assert_snapshot!(
        "graph_firmware_plan_dot",
        graph::compiled(&checked, &emit::workflow_def(&checked), Language::Dot)
    );
}
