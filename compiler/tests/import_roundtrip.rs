//! Round trip over the real corpus (`../shared/conductor/corpus/`): for every WorkflowDef file
//! Conductor accepts, `import` → `wfc check` (no errors) → `compile` gives back every definition
//! of the file, equal to the original under the normalisation of docs/import.md:
//!
//! * fields holding Conductor's defaults are dropped on both sides (`is_default_*_field`: absent,
//!   `null`, `false` flags, empty lists and maps, `version: 1`, `schemaVersion: 2`, …);
//! * key order is ignored; `inputSchema`/`outputSchema` that wfc generated where the original
//!   has none are dropped;
//! * each task list is compared as a set of tasks plus the happens-before order Conductor runs
//!   them in: a plain `FORK_JOIN` + `JOIN` pair (no other fields, the join waits for the last
//!   task of every branch) is replaced by the order it expresses, whether the author or the
//!   planner wrote it; the `NOOP` wfc puts after a switch ending a fork branch is dropped;
//! * a literal WAIT `duration` is compared by the time it denotes (`10s` = `10 seconds`);
//! * a `value-param` SWITCH reads its case value from the input key its `expression` names; that
//!   key is compared as `switchCaseValue` (the key wfc uses).
//!
//! The same round trip runs over the fixtures of `fixtures/import/` (one per task type), whose
//! imported YAML is snapshot-tested, as is that of a few representative corpus files, and over
//! arbitrary strings (a property test of the YAML writer: values and keys come back exactly).
//!
//! Which files Conductor accepts is read from the corpus index (`INDEX.json`,
//! `predicted_registration`). The test is skipped, with a message, when the corpus is absent;
//! it fails when fewer definitions round-trip than [`EXPECTED_PASSES`], listing the failures.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use wfc_compiler::config::Config;
use wfc_compiler::diagnostic::Severity;
use wfc_compiler::emit;
use wfc_compiler::import::{self, ImportInput, ImportedFile};
use wfc_compiler::project::{InputFile, SourceLoader, analyze};

/// Definitions that round-trip today; raise it when more do.
const EXPECTED_PASSES: usize = 273;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conductor/corpus")
}

struct Generated<'a>(&'a [ImportedFile]);

impl SourceLoader for Generated<'_> {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("");
        self.0
            .iter()
            .find(|file| file.name == name)
            .map(|file| file.text.clone())
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    }
}

/// The WorkflowDef files of the corpus Conductor accepts, by the index's prediction.
fn accepted_files(corpus: &Path) -> Vec<PathBuf> {
    let index: Value = serde_json::from_str(
        &std::fs::read_to_string(corpus.join("INDEX.json")).expect("read INDEX.json"),
    )
    .expect("INDEX.json is JSON");
    let mut files = Vec::new();
    for entry in index["files"].as_array().into_iter().flatten() {
        let Some(name) = entry["corpus_file"].as_str() else {
            continue;
        };
        let in_scope = !name.contains('/')
            || name.starts_with("docs-md/")
            || (name.starts_with("netflix-conductor/") && name.matches('/').count() == 1);
        if in_scope && entry["predicted_registration"]["accepted"] == Value::Bool(true) {
            files.push(corpus.join(name));
        }
    }
    files.sort();
    files
}

#[test]
fn imported_corpus_compiles_back_to_the_originals() {
    let corpus = corpus();
    if !corpus.join("INDEX.json").is_file() {
        eprintln!(
            "skipped: the corpus ({}) is not here",
            corpus.to_string_lossy()
        );
        return;
    }
    let mut passes = 0usize;
    let mut failures: Vec<String> = Vec::new();
    for path in accepted_files(&corpus) {
        let shown = path
            .strip_prefix(&corpus)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        let value: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read corpus file"))
                .expect("corpus file is JSON");
        let originals: Vec<&Value> = match &value {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        let mut outcome = round_trip(&shown, &value);
        for original in originals {
            let name = original["name"].as_str().unwrap_or_default();
            let version = original["version"].as_i64().unwrap_or(1);
            let label = format!("{shown} `{name}` v{version}");
            match &mut outcome {
                Err(problem) => failures.push(format!("{label}: {problem}")),
                Ok(compiled) => match compiled.remove(&(name.to_string(), version)) {
                    None => failures.push(format!("{label}: not compiled")),
                    Some(definition) => {
                        match difference(
                            &normalize_workflow(original, true),
                            &normalize_workflow(&definition, false),
                        ) {
                            None => passes += 1,
                            Some(difference) => failures.push(format!("{label}: {difference}")),
                        }
                    }
                },
            }
        }
    }
    eprintln!(
        "import round trip: {passes} of {} definitions",
        passes + failures.len()
    );
    for failure in &failures {
        eprintln!("  {failure}");
    }
    assert!(
        passes >= EXPECTED_PASSES,
        "{passes} definitions round-trip, {EXPECTED_PASSES} expected"
    );
}

/// Representative corpus files whose imported YAML is snapshot-tested.
const CORPUS_SNAPSHOTS: &[&str] = &[
    "e2e__src__test__resources__exec_limit_workflow.json",
    "docs__devguide__ai__cookbook__assets__a2a-orchestration.json",
    "rest__src__main__resources__kitchensink__kitchensink.json",
    "scheduler__examples__dowhile-workflow.json",
];

/// The generated files of an import, one after the other.
fn joined(imported: &import::Imported) -> String {
    let mut text = String::new();
    for file in &imported.files {
        text.push_str(&format!("# ---- {} ----\n{}", file.name, file.text));
    }
    for note in &imported.notes {
        text.push_str(&format!("# note: {note}\n"));
    }
    text
}

#[test]
fn fixtures_round_trip_and_match_their_snapshots() {
    let directory = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&directory)
        .expect("read fixtures")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "json")
        })
        .collect();
    paths.sort();
    assert!(paths.len() >= 10, "the import fixtures are missing");
    for path in paths {
        let stem = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or_default()
            .to_string();
        let value: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("read"))
            .expect("fixture is JSON");
        let imported = import::import(&[ImportInput {
            name: stem.clone(),
            value: value.clone(),
        }]);
        insta::assert_snapshot!(format!("fixture_{stem}"), joined(&imported));
        let mut compiled =
            round_trip(&stem, &value).unwrap_or_else(|problem| panic!("{stem}: {problem}"));
        let originals: Vec<&Value> = match &value {
            Value::Array(items) => items
                .iter()
                .filter(|item| item.get("tasks").is_some())
                .collect(),
            other => vec![other],
        };
        for original in originals {
            let key = (
                original["name"].as_str().unwrap_or_default().to_string(),
                original["version"].as_i64().unwrap_or(1),
            );
            let definition = compiled
                .remove(&key)
                .unwrap_or_else(|| panic!("{stem}: not compiled"));
            let difference = difference(
                &normalize_workflow(original, true),
                &normalize_workflow(&definition, false),
            );
            assert_eq!(difference, None, "{stem}");
        }
    }
}

#[test]
fn representative_corpus_imports_match_their_snapshots() {
    let corpus = corpus();
    if !corpus.join("INDEX.json").is_file() {
        eprintln!(
            "skipped: the corpus ({}) is not here",
            corpus.to_string_lossy()
        );
        return;
    }
    for name in CORPUS_SNAPSHOTS {
        let value: Value =
            serde_json::from_str(&std::fs::read_to_string(corpus.join(name)).expect("read"))
                .expect("corpus file is JSON");
        let imported = import::import(&[ImportInput {
            name: (*name).to_string(),
            value,
        }]);
        let stem = name.trim_end_matches(".json").replace(['.', '-'], "_");
        insta::assert_snapshot!(format!("corpus_{stem}"), joined(&imported));
    }
}

/// Imports one corpus file, checks and compiles the result: the compiled WorkflowDefs by name
/// and version.
fn round_trip(shown: &str, value: &Value) -> Result<HashMap<(String, i64), Value>, String> {
    let imported = import::import(&[ImportInput {
        name: shown.to_string(),
        value: value.clone(),
    }]);
    if let Some(problem) = imported.problems.first() {
        return Err(format!("not imported: {}", problem.message));
    }
    let inputs: Vec<InputFile> = imported
        .files
        .iter()
        .map(|file| InputFile {
            path: PathBuf::from(&file.name),
            text: file.text.clone(),
        })
        .collect();
    let analysis = analyze(inputs, &Generated(&imported.files), &Config::default());
    if let Some(error) = analysis
        .diagnostics
        .iter()
        .find(|diagnostic| diagnostic.severity == Severity::Error)
    {
        return Err(format!(
            "the import has errors: {} {}",
            error.code, error.message
        ));
    }
    let compiled = emit::compile(&analysis).map_err(|problems| problems.join("; "))?;
    Ok(compiled
        .workflows
        .into_iter()
        .map(|workflow| ((workflow.name, workflow.version), workflow.definition))
        .collect())
}

/// The first path at which two normalised values differ.
fn difference(original: &Value, compiled: &Value) -> Option<String> {
    match (original, compiled) {
        (Value::Object(left), Value::Object(right)) => {
            let keys: BTreeSet<&String> = left.keys().chain(right.keys()).collect();
            for key in keys {
                match (left.get(key), right.get(key)) {
                    (Some(a), Some(b)) => {
                        if let Some(inner) = difference(a, b) {
                            return Some(format!("{key}.{inner}"));
                        }
                    }
                    (Some(a), None) => return Some(format!("{key}: missing (was {a})")),
                    (None, Some(b)) => return Some(format!("{key}: added ({b})")),
                    (None, None) => {}
                }
            }
            None
        }
        (Value::Array(left), Value::Array(right)) if left.len() == right.len() => left
            .iter()
            .zip(right)
            .enumerate()
            .find_map(|(index, (a, b))| difference(a, b).map(|inner| format!("[{index}].{inner}"))),
        _ if original == compiled => None,
        _ => Some(format!(" {original} ≠ {compiled}")),
    }
}

fn normalize_workflow(def: &Value, original: bool) -> Value {
    let mut out = Map::new();
    let Some(fields) = def.as_object() else {
        return def.clone();
    };
    for (key, value) in fields {
        if import::is_default_workflow_field(key, value) || key == "tasks" {
            continue;
        }
        out.insert(key.clone(), value.clone());
    }
    if !original {
        // Generated schemas; compared only where the original has one (then raw restores it).
        for key in ["inputSchema", "outputSchema"] {
            out.remove(key);
        }
    }
    let tasks = def["tasks"].as_array().map_or(&[][..], Vec::as_slice);
    out.insert("tasks".into(), normalize_list(tasks));
    Value::Object(out)
}

/// A task list as `{tasks: {REF: task}, order: [[a, b], …]}`: the tasks (nested lists
/// normalised the same way) and the happens-before pairs Conductor's order gives them.
fn normalize_list(tasks: &[Value]) -> Value {
    let mut nodes: Vec<(String, Value)> = Vec::new();
    let mut edges: BTreeSet<(usize, usize)> = BTreeSet::new();
    sequence(tasks, Vec::new(), &mut nodes, &mut edges);
    // Generated ends of fork branches: NOOPs named `REF_end` after a switch.
    let mut kept = vec![true; nodes.len()];
    for (index, (reference, task)) in nodes.iter().enumerate() {
        let plain_noop = task
            .as_object()
            .is_some_and(|fields| fields.keys().all(|key| key == "name" || key == "type"))
            && task["type"] == "NOOP"
            && task["name"] == reference.as_str();
        if plain_noop && reference.ends_with("_end") {
            kept[index] = false;
        }
    }
    let count = nodes.len();
    let mut reach = vec![vec![false; count]; count];
    for (from, row) in reach.iter_mut().enumerate() {
        let mut pending = vec![from];
        while let Some(node) = pending.pop() {
            for &(source, target) in &edges {
                if source == node && !row[target] {
                    row[target] = true;
                    pending.push(target);
                }
            }
        }
    }
    let mut order: BTreeSet<(String, String)> = BTreeSet::new();
    for from in 0..count {
        for to in 0..count {
            if reach[from][to] && kept[from] && kept[to] {
                order.insert((nodes[from].0.clone(), nodes[to].0.clone()));
            }
        }
    }
    let tasks: BTreeMap<String, Value> = nodes
        .into_iter()
        .zip(kept)
        .filter(|(_, kept)| *kept)
        .map(|((reference, task), _)| (reference, task))
        .collect();
    serde_json::json!({
        "tasks": tasks,
        "order": order.into_iter().map(|(a, b)| vec![a, b]).collect::<Vec<_>>(),
    })
}

fn sequence(
    tasks: &[Value],
    mut frontier: Vec<usize>,
    nodes: &mut Vec<(String, Value)>,
    edges: &mut BTreeSet<(usize, usize)>,
) -> Vec<usize> {
    let mut index = 0;
    while index < tasks.len() {
        let task = &tasks[index];
        if let Some(branches) = plain_fork(task, tasks.get(index + 1)) {
            let mut ends = Vec::new();
            for branch in branches {
                ends.extend(sequence(branch, frontier.clone(), nodes, edges));
            }
            frontier = ends;
            index += 2;
            continue;
        }
        let reference = task["taskReferenceName"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        nodes.push((reference, normalize_task(task)));
        let node = nodes.len() - 1;
        for from in &frontier {
            edges.insert((*from, node));
        }
        frontier = vec![node];
        index += 1;
    }
    frontier
}

/// The branches of a FORK_JOIN followed by a JOIN that only expresses independence.
fn plain_fork<'a>(fork: &'a Value, join: Option<&Value>) -> Option<Vec<&'a [Value]>> {
    let join = join?;
    if fork["type"] != "FORK_JOIN" || join["type"] != "JOIN" {
        return None;
    }
    let plain = |task: &Value, allowed: &[&str]| {
        task.as_object().is_some_and(|fields| {
            fields.iter().all(|(key, value)| {
                allowed.contains(&key.as_str()) || import::is_default_task_field(key, value)
            })
        })
    };
    if !plain(fork, &["name", "taskReferenceName", "type", "forkTasks"])
        || !plain(join, &["name", "taskReferenceName", "type", "joinOn"])
    {
        return None;
    }
    let mut branches = Vec::new();
    let mut last = BTreeSet::new();
    for branch in fork["forkTasks"].as_array()? {
        let branch = branch.as_array()?;
        last.insert(branch.last()?["taskReferenceName"].as_str()?);
        branches.push(branch.as_slice());
    }
    // A generated NOOP may close a branch that ends with a switch.
    let joined: BTreeSet<&str> = join["joinOn"]
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    (joined == last).then_some(branches)
}

fn normalize_task(task: &Value) -> Value {
    let Some(fields) = task.as_object() else {
        return task.clone();
    };
    let mut out = Map::new();
    for (key, value) in fields {
        if import::is_default_task_field(key, value) || key == "taskReferenceName" {
            continue;
        }
        let value = match key.as_str() {
            "decisionCases" => Value::Object(
                value
                    .as_object()
                    .map(|cases| {
                        cases
                            .iter()
                            .map(|(case, list)| {
                                let list = list.as_array().map_or(&[][..], Vec::as_slice);
                                (case.clone(), normalize_list(list))
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            "defaultCase" | "loopOver" => {
                normalize_list(value.as_array().map_or(&[][..], Vec::as_slice))
            }
            "forkTasks" => Value::Array(
                value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|branch| normalize_list(branch.as_array().map_or(&[][..], Vec::as_slice)))
                    .collect(),
            ),
            _ => value.clone(),
        };
        out.insert(key.clone(), value);
    }
    if out.get("type").and_then(Value::as_str) == Some("WAIT")
        && let Some(Value::Object(parameters)) = out.get_mut("inputParameters")
        && let Some(Value::String(duration)) = parameters.get("duration")
        && let Some(milliseconds) = import::parse_conductor_duration(duration)
    {
        parameters.insert("duration".into(), format!("{milliseconds} ms").into());
    }
    if out.get("type").and_then(Value::as_str) == Some("SWITCH")
        && out.get("evaluatorType").and_then(Value::as_str) == Some("value-param")
        && let Some(Value::String(key)) = out.get("expression").cloned()
        && let Some(Value::Object(parameters)) = out.get_mut("inputParameters")
        && let Some(value) = parameters.remove(&key)
    {
        parameters.insert("switchCaseValue".into(), value);
        out.insert("expression".into(), "switchCaseValue".into());
    }
    Value::Object(out)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

    /// Any string, as a value and as a key, comes back from YAML exactly (plain, quoted or
    /// block scalar, `${` and `$${` included).
    #[test]
    fn strings_survive_the_yaml(text in proptest::prelude::any::<String>(), template in "[a-z$ {}.:#|>'\"\\-\n]{0,24}") {
        // Variable names make a `set:` task; any key makes it raw JSON.
        let values = serde_json::json!({
            "text": text,
            "template": template,
            "lines": format!("{text}\n{template}\n"),
        });
        let keys = serde_json::json!({ text.clone(): 1, template.clone(): 2 });
        let task = |reference: &str, parameters: &Value| serde_json::json!({
            "name": reference,
            "taskReferenceName": reference,
            "type": "SET_VARIABLE",
            "inputParameters": parameters,
        });
        let definition = serde_json::json!({
            "name": "strings",
            "ownerEmail": "team@example.com",
            "tasks": [task("values", &values), task("keys", &keys)],
        });
        let mut compiled = round_trip("strings", &definition).map_err(proptest::test_runner::TestCaseError::fail)?;
        let definition = compiled.remove(&("strings".to_string(), 1)).unwrap_or_default();
        let find = |reference: &str| {
            definition["tasks"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|task| task["taskReferenceName"] == reference)
                .map(|task| task["inputParameters"].clone())
        };
        proptest::prop_assert_eq!(find("values"), Some(values));
        proptest::prop_assert_eq!(find("keys"), Some(keys));
    }
}
