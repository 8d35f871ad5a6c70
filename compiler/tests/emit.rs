//! The Conductor emitter: snapshots of the JSON of every example project and of one fixture per
//! task kind (`fixtures/emit/`), determinism, and conformance of everything emitted:
//!
//! * against Conductor's own JSON Schemas (`/work/shared/conductor/openapi/`, read at test time;
//!   the conformance test is skipped with a message when they are absent), made strict about
//!   unknown keys, since the server silently drops those (FORMAT.md §G.10);
//! * against the registration rules of FORMAT.md §C, with `registration.rs` (the rules wfc
//!   applies to raw tasks) run over every emitted task, plus the workflow-wide rules of §C.2
//!   (unique references, top-level references defined);
//! * against the run-time rules a registered definition can still break: every fork is followed
//!   by its JOIN, whose `joinOn` lists the last task of each branch, no branch ends with a
//!   SWITCH, no reference holds `__`;
//! * the `inputSchema`/`outputSchema` documents are valid JSON Schemas and the input defaults
//!   (`inputTemplate`) satisfy them.
//!
//! Snapshots live in `compiler/tests/snapshots/emit__*.snap`; review changes with
//! `cargo insta review`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use wfc_compiler::config::Config;
use wfc_compiler::diagnostic::{Severity, Span};
use wfc_compiler::emit::{self, Compiled};
use wfc_compiler::expression;
use wfc_compiler::project::{Analysis, FileSystemLoader, InputFile, analyze};
use wfc_compiler::registration;
use wfc_compiler::source::FileId;
use wfc_compiler::syntax::{Entry, Node, NodeKind, Scalar, ScalarMap, Style};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn yaml_files(directory: &Path, found: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(directory)
        .expect("read directory")
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

/// Analyses the files (in the given order) and compiles them; panics on error diagnostics.
fn compile_files(files: &[PathBuf]) -> (Analysis, Compiled) {
    let inputs: Vec<InputFile> = files
        .iter()
        .map(|path| InputFile {
            path: path.clone(),
            text: std::fs::read_to_string(path).expect("read file"),
        })
        .collect();
    let analysis = analyze(inputs, &FileSystemLoader, &Config::default());
    let errors: Vec<String> = analysis
        .diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.severity == Severity::Error)
        .map(|diagnostic| {
            format!(
                "{}: {} {}",
                analysis.sources.path(diagnostic.file),
                diagnostic.code,
                diagnostic.message
            )
        })
        .collect();
    assert!(errors.is_empty(), "errors:\n{}", errors.join("\n"));
    let compiled = emit::compile(&analysis).expect("compiles");
    (analysis, compiled)
}

fn compile_directory(directory: &Path) -> (Analysis, Compiled) {
    let mut files = Vec::new();
    yaml_files(directory, &mut files);
    assert!(!files.is_empty(), "{} holds no files", directory.display());
    compile_files(&files)
}

fn projects() -> Vec<PathBuf> {
    let root = manifest_dir().join("../examples");
    let mut projects: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("examples/")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.is_dir())
        .collect();
    projects.sort();
    assert!(!projects.is_empty());
    projects
}

fn fixtures() -> PathBuf {
    manifest_dir().join("tests/fixtures/emit")
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("serializes")
}

/// Every compiled output with a name: (label, workflow defs, task defs).
fn everything() -> Vec<(String, Compiled)> {
    let mut all: Vec<(String, Compiled)> = projects()
        .iter()
        .map(|project| {
            let name = project
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or_default()
                .to_string();
            (format!("examples/{name}"), compile_directory(project).1)
        })
        .collect();
    all.push((
        "fixtures/emit".to_string(),
        compile_directory(&fixtures()).1,
    ));
    all
}

// ----- snapshots ----------------------------------------------------------------------------

#[test]
fn example_projects() {
    for project in projects() {
        let name = project
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default()
            .to_string();
        let (_, compiled) = compile_directory(&project);
        assert!(!compiled.workflows.is_empty());
        for workflow in &compiled.workflows {
            insta::assert_snapshot!(
                format!("example__{name}__{}", workflow.name),
                pretty(&workflow.definition)
            );
        }
        insta::assert_snapshot!(
            format!("example__{name}__taskdefs"),
            pretty(&Value::Array(compiled.task_defs.clone()))
        );
    }
}

#[test]
fn task_kind_fixtures() {
    let (_, compiled) = compile_directory(&fixtures());
    for workflow in &compiled.workflows {
        insta::assert_snapshot!(
            format!("fixture__{}", workflow.name),
            pretty(&workflow.definition)
        );
    }
    insta::assert_snapshot!(
        "fixture__taskdefs",
        pretty(&Value::Array(compiled.task_defs.clone()))
    );
}

/// Every task type of the language appears in the fixtures.
#[test]
fn fixtures_cover_every_task_type() {
    let (_, compiled) = compile_directory(&fixtures());
    let mut types = HashSet::new();
    for workflow in &compiled.workflows {
        for_each_task(&workflow.definition["tasks"], &mut |task| {
            if let Some(task_type) = task.get("type").and_then(Value::as_str) {
                types.insert(task_type.to_string());
            }
        });
    }
    for expected in [
        "SIMPLE",
        "HTTP",
        "SWITCH",
        "FORK_JOIN",
        "JOIN",
        "FORK_JOIN_DYNAMIC",
        "DO_WHILE",
        "DYNAMIC",
        "SUB_WORKFLOW",
        "START_WORKFLOW",
        "WAIT",
        "HUMAN",
        "INLINE",
        "JSON_JQ_TRANSFORM",
        "SET_VARIABLE",
        "TERMINATE",
        "EVENT",
        "KAFKA_PUBLISH",
        "NOOP",
        "EXCLUSIVE_JOIN",
        "LLM_CHAT_COMPLETE",
    ] {
        assert!(
            types.contains(expected),
            "no {expected} task in the fixtures"
        );
    }
}

// ----- determinism --------------------------------------------------------------------------

#[test]
fn output_is_deterministic() {
    let serialize = |compiled: &Compiled| -> Vec<String> {
        compiled
            .workflows
            .iter()
            .map(|workflow| pretty(&workflow.definition))
            .chain(compiled.task_defs.iter().map(pretty))
            .collect()
    };
    let mut directories = projects();
    directories.push(fixtures());
    for directory in directories {
        let mut files = Vec::new();
        yaml_files(&directory, &mut files);
        let first = serialize(&compile_files(&files).1);
        let second = serialize(&compile_files(&files).1);
        assert_eq!(first, second, "{}", directory.display());
        files.reverse();
        let reversed = serialize(&compile_files(&files).1);
        assert_eq!(first, reversed, "{} in another order", directory.display());
    }
}

// ----- conformance --------------------------------------------------------------------------

/// Calls `visit` on every task of a task list, nested ones included (cases, forks, loop bodies).
fn for_each_task(tasks: &Value, visit: &mut dyn FnMut(&Value)) {
    let Some(tasks) = tasks.as_array() else {
        return;
    };
    for task in tasks {
        visit(task);
        for_each_list(task, &mut |list| for_each_task(list, visit));
    }
}

/// Calls `visit` on every task list directly inside a task.
fn for_each_list(task: &Value, visit: &mut dyn FnMut(&Value)) {
    if let Some(cases) = task.get("decisionCases").and_then(Value::as_object) {
        for list in cases.values() {
            visit(list);
        }
    }
    for key in ["defaultCase", "loopOver"] {
        if let Some(list) = task.get(key) {
            visit(list);
        }
    }
    if let Some(branches) = task.get("forkTasks").and_then(Value::as_array) {
        for branch in branches {
            visit(branch);
        }
    }
}

/// Calls `visit` on every task list of a workflow, the top-level one included.
fn for_each_task_list(tasks: &Value, visit: &mut dyn FnMut(&[Value])) {
    let Some(list) = tasks.as_array() else {
        return;
    };
    visit(list);
    for task in list {
        for_each_list(task, &mut |nested| for_each_task_list(nested, visit));
    }
}

fn openapi() -> Option<PathBuf> {
    // The workspace root's sibling `shared/`, only present where Conductor's material is.
    let directory = manifest_dir().join("../../shared/conductor/openapi");
    directory.is_dir().then_some(directory)
}

/// Fields of the server's model (FORMAT.md §B.2, §B.4) that the published schemas lack.
fn missing_from_schemas() -> [(&'static str, Value); 2] {
    [
        (
            "WorkflowTask",
            serde_json::json!({
                "items": {"type": "string"},
                "metadata": {"type": "object"},
                "joinMode": {"enum": ["SYNC", "ASYNC"]},
                "dynamicForkJoinTasksParam": {"type": "string"},
            }),
        ),
        (
            "TaskDef",
            serde_json::json!({
                "maxRetryDelaySeconds": {"type": "integer", "minimum": 0},
                "backoffJitterMs": {"type": "integer", "minimum": 0},
                "runtimeMetadata": {"type": "array", "items": {"type": "string"}},
                "taskStatusListenerEnabled": {"type": "boolean"},
            }),
        ),
    ]
}

/// Conductor's schema, strict about unknown keys: the server ignores them silently, so a key it
/// does not know is a bug in the emitter (or a typo in a `raw:` block).
fn strict_validator(path: &Path) -> jsonschema::Validator {
    let text = std::fs::read_to_string(path).expect("read schema");
    let mut schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    let is_task_def = schema["title"] == "TaskDef";
    for (definition, fields) in missing_from_schemas() {
        let pointers = if definition == "TaskDef" && is_task_def {
            vec!["/properties".to_string()]
        } else {
            vec![format!("/definitions/{definition}/properties")]
        };
        for pointer in pointers {
            if let Some(Value::Object(properties)) = schema.pointer_mut(&pointer)
                && let Value::Object(fields) = &fields
            {
                for (key, value) in fields {
                    properties.insert(key.clone(), value.clone());
                }
            }
        }
    }
    let close = |object: &mut Value| {
        if let Some(object) = object.as_object_mut()
            && object.contains_key("properties")
        {
            object.insert("additionalProperties".into(), Value::Bool(false));
        }
    };
    close(&mut schema);
    for name in ["WorkflowTask", "TaskDef", "SubWorkflowParams", "SchemaDef"] {
        if let Some(definition) = schema.pointer_mut(&format!("/definitions/{name}")) {
            close(definition);
        }
    }
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles")
}

fn schema_errors(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect()
}

/// A JSON value as the syntax tree `registration.rs` reads (strings quoted, other scalars plain).
fn to_node(value: &Value) -> Node {
    let scalar = |text: String, style: Style| Node {
        kind: NodeKind::Scalar(Scalar {
            value: text,
            style,
            map: ScalarMap::default(),
        }),
        span: Span::default(),
    };
    match value {
        Value::Null => scalar("null".into(), Style::Plain),
        Value::Bool(value) => scalar(value.to_string(), Style::Plain),
        Value::Number(value) => scalar(value.to_string(), Style::Plain),
        Value::String(value) => scalar(value.clone(), Style::DoubleQuoted),
        Value::Array(items) => Node {
            kind: NodeKind::Sequence(items.iter().map(to_node).collect()),
            span: Span::default(),
        },
        Value::Object(entries) => Node {
            kind: NodeKind::Mapping(
                entries
                    .iter()
                    .map(|(key, value)| Entry {
                        key: scalar(key.clone(), Style::DoubleQuoted),
                        value: to_node(value),
                    })
                    .collect(),
            ),
            span: Span::default(),
        },
    }
}

/// FORMAT.md §C on one WorkflowDef: the per-task rules of `registration.rs` on every top-level
/// task (it walks the nested ones itself), and the workflow-wide rules of §C.2.
fn registration_problems(definition: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    if definition["name"].as_str().is_none_or(str::is_empty) {
        problems.push("WorkflowDef name cannot be null or empty".to_string());
    }
    let tasks = definition["tasks"].as_array().cloned().unwrap_or_default();
    if tasks.is_empty() {
        problems.push("WorkflowTask list cannot be empty".to_string());
    }
    if definition["schemaVersion"] != 2 {
        problems.push("workflowDef schemaVersion: 2 is only supported".to_string());
    }
    let mut diagnostics = Vec::new();
    for task in &tasks {
        let name = task["name"].as_str().unwrap_or_default();
        if name.is_empty() {
            problems.push("WorkflowTask name cannot be empty or null".to_string());
        }
        if task["taskReferenceName"].as_str().is_none_or(str::is_empty) {
            problems.push("WorkflowTask taskReferenceName name cannot be empty or null".into());
        }
        let task_type = task["type"].as_str().unwrap_or("SIMPLE");
        registration::check_raw_task(
            task_type,
            name,
            &to_node(task),
            None,
            FileId(0),
            &mut diagnostics,
        );
    }
    for diagnostic in &diagnostics {
        problems.push(format!(
            "{}: {}",
            diagnostic.message,
            diagnostic.label.as_deref().unwrap_or_default()
        ));
    }
    // §C.2: references unique across all nesting levels.
    let mut references = HashSet::new();
    for_each_task(&definition["tasks"], &mut |task| {
        let reference = task["taskReferenceName"].as_str().unwrap_or_default();
        if !references.insert(reference.to_string()) {
            problems.push(format!(
                "taskReferenceName: {reference} should be unique across tasks for a given workflowDefinition"
            ));
        }
    });
    // §C.2: `${x…}` in the input of top-level tasks names `workflow` or a task reference.
    for task in &tasks {
        let mut strings = Vec::new();
        collect_strings(&task["inputParameters"], &mut strings);
        for text in strings {
            let template = expression::scan(&text);
            for found in template.expressions() {
                let inner = found.inner_text(&text).trim_start_matches("$.");
                let first = inner.split(['.', '[']).next().unwrap_or_default();
                // Names the server resolves itself (§C.2; other environment variables of the
                // server are accepted too, but wfc does not emit them).
                let known = matches!(
                    first,
                    "workflow" | "CPEWF_TASK_ID" | "NETFLIX_ENV" | "NETFLIX_STACK"
                );
                if !known && !references.contains(first) {
                    problems.push(format!(
                        "taskReferenceName: {first} for given task: {} input value: {text} is not defined in workflow definition.",
                        task["name"]
                    ));
                }
            }
        }
    }
    problems
}

/// Stricter than §C.2, which checks top-level tasks only: at every level, and in
/// `outputParameters`, an expression reads `workflow`, a task of this workflow, or a name the
/// server resolves itself. (Conductor would leave a wrong nested read `null` at run time.)
fn reference_problems(definition: &Value) -> Vec<String> {
    let mut references = HashSet::new();
    for_each_task(&definition["tasks"], &mut |task| {
        if let Some(reference) = task["taskReferenceName"].as_str() {
            references.insert(reference.to_string());
        }
    });
    let mut strings = Vec::new();
    collect_strings(&definition["outputParameters"], &mut strings);
    for_each_task(&definition["tasks"], &mut |task| {
        collect_strings(&task["inputParameters"], &mut strings);
    });
    let mut problems = Vec::new();
    for text in strings {
        let template = expression::scan(&text);
        for found in template.all_expressions() {
            let inner = found.inner_text(&text).trim_start_matches("$.");
            let first = inner.split(['.', '[']).next().unwrap_or_default();
            let known = first.starts_with("${")
                || matches!(
                    first,
                    "workflow" | "CPEWF_TASK_ID" | "NETFLIX_ENV" | "NETFLIX_STACK"
                );
            if !known && !references.contains(first) {
                problems.push(format!(
                    "`{text}` reads `{first}`, not a task of this workflow"
                ));
            }
        }
    }
    problems
}

fn collect_strings(value: &Value, strings: &mut Vec<String>) {
    match value {
        Value::String(text) => strings.push(text.clone()),
        Value::Array(items) => items.iter().for_each(|item| collect_strings(item, strings)),
        Value::Object(entries) => entries
            .values()
            .for_each(|item| collect_strings(item, strings)),
        _ => {}
    }
}

/// What a registered definition can still get wrong at run time (FORMAT.md §C.5, §G.3, §D.7).
fn runtime_problems(definition: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for_each_task_list(&definition["tasks"], &mut |list| {
        for (index, task) in list.iter().enumerate() {
            let task_type = task["type"].as_str().unwrap_or_default();
            let reference = task["taskReferenceName"].as_str().unwrap_or_default();
            if reference.contains("__") {
                problems.push(format!("`{reference}` contains `__`"));
            }
            if !matches!(task_type, "FORK_JOIN" | "FORK_JOIN_DYNAMIC") {
                continue;
            }
            let next = list.get(index + 1);
            if next.and_then(|next| next["type"].as_str()) != Some("JOIN") {
                problems.push(format!(
                    "{task_type} `{reference}` is not followed by a JOIN"
                ));
                continue;
            }
            if task_type == "FORK_JOIN_DYNAMIC" {
                continue;
            }
            let mut last = Vec::new();
            for branch in task["forkTasks"].as_array().into_iter().flatten() {
                let Some(tail) = branch.as_array().and_then(|branch| branch.last()) else {
                    problems.push(format!("`{reference}` has an empty branch"));
                    continue;
                };
                if matches!(tail["type"].as_str(), Some("SWITCH" | "DECISION")) {
                    problems.push(format!(
                        "a branch of `{reference}` ends with a SWITCH, which is terminal before its case ran"
                    ));
                }
                last.push(tail["taskReferenceName"].clone());
            }
            let join_on = next.map_or(Value::Null, |next| next["joinOn"].clone());
            if join_on != Value::Array(last.clone()) {
                problems.push(format!(
                    "the JOIN after `{reference}` waits for {join_on}, the branches end with {}",
                    Value::Array(last)
                ));
            }
        }
    });
    problems
}

/// The SchemaDefs of a definition are valid JSON Schemas, and `inputTemplate` satisfies the
/// input schema.
fn schema_def_problems(definition: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for key in ["inputSchema", "outputSchema"] {
        let Some(schema_def) = definition.get(key) else {
            continue;
        };
        let data = &schema_def["data"];
        let validator = match jsonschema::validator_for(data) {
            Ok(validator) => validator,
            Err(error) => {
                problems.push(format!("{key} is not a JSON Schema: {error}"));
                continue;
            }
        };
        if key == "inputSchema"
            && let Some(template) = definition.get("inputTemplate").and_then(Value::as_object)
        {
            // Defaults alone are a partial input: check each against its own property.
            for (name, value) in template {
                let mut single = Map::new();
                single.insert(name.clone(), value.clone());
                let mut schema = data.clone();
                if let Some(object) = schema.as_object_mut() {
                    object.remove("required");
                }
                let partial = jsonschema::validator_for(&schema).expect("compiles");
                for error in partial.iter_errors(&Value::Object(single)) {
                    problems.push(format!("default of `{name}`: {error}"));
                }
            }
        }
        drop(validator);
    }
    problems
}

#[test]
fn emitted_json_conforms_to_conductor() {
    let Some(openapi) = openapi() else {
        println!(
            "skipped: Conductor's JSON Schemas are not at ../shared/conductor/openapi (relative to the workspace root)"
        );
        return;
    };
    let workflow_schema = strict_validator(&openapi.join("schemas__WorkflowDef.json"));
    let task_schema = strict_validator(&openapi.join("schemas__TaskDef.json"));
    let mut problems = Vec::new();
    let mut checked = 0;
    for (label, compiled) in everything() {
        for workflow in &compiled.workflows {
            let definition = &workflow.definition;
            let context = format!("{label}: workflow `{}`", workflow.name);
            for problem in schema_errors(&workflow_schema, definition)
                .into_iter()
                .chain(registration_problems(definition))
                .chain(reference_problems(definition))
                .chain(runtime_problems(definition))
                .chain(schema_def_problems(definition))
            {
                problems.push(format!("{context}: {problem}"));
            }
            checked += 1;
        }
        for task_def in &compiled.task_defs {
            let context = format!("{label}: TaskDef `{}`", task_def["name"]);
            for problem in schema_errors(&task_schema, task_def)
                .into_iter()
                .chain(schema_def_problems(task_def))
            {
                problems.push(format!("{context}: {problem}"));
            }
            // @TaskTimeoutConstraint (FORMAT.md §B.4).
            let seconds = |key: &str| task_def.get(key).and_then(Value::as_u64);
            let timeout = seconds("timeoutSeconds").unwrap_or(0);
            let response = seconds("responseTimeoutSeconds").unwrap_or(3600);
            if timeout > 0 && response > timeout {
                problems.push(format!(
                    "{context}: responseTimeoutSeconds: {response} must be less than timeoutSeconds: {timeout}"
                ));
            }
            if let Some(total) = seconds("totalTimeoutSeconds")
                && timeout > 0
                && total > 0
                && timeout > total
            {
                problems.push(format!(
                    "{context}: timeoutSeconds: {timeout} must be less than or equal to totalTimeoutSeconds: {total}"
                ));
            }
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} definitions checked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The passing case of every rule fixture (`fixtures/rules/*/pass*.wf.yaml`) is a clean workflow
/// too: its definition conforms as well.
#[test]
fn rule_fixture_passes_conform_to_conductor() {
    let Some(openapi) = openapi() else {
        println!(
            "skipped: Conductor's JSON Schemas are not at ../shared/conductor/openapi (relative to the workspace root)"
        );
        return;
    };
    let workflow_schema = strict_validator(&openapi.join("schemas__WorkflowDef.json"));
    let root = manifest_dir().join("tests/fixtures/rules");
    let mut directories: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("rule fixtures")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.is_dir())
        .collect();
    directories.sort();
    let mut problems = Vec::new();
    let mut checked = 0;
    for directory in directories {
        let mut files = Vec::new();
        yaml_files(&directory, &mut files);
        let inputs: Vec<InputFile> = files
            .iter()
            .map(|path| InputFile {
                path: path.clone(),
                text: std::fs::read_to_string(path).expect("read file"),
            })
            .collect();
        let analysis = analyze(inputs, &FileSystemLoader, &Config::default());
        for (file, graph) in &analysis.graphs {
            let path = analysis.sources.path(*file);
            let is_pass = Path::new(path)
                .file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("pass"));
            let clean = !analysis.diagnostics.iter().any(|diagnostic| {
                diagnostic.file == *file && diagnostic.severity == Severity::Error
            });
            let Some(index) = analysis
                .workflows
                .iter()
                .position(|workflow| workflow.file == *file)
            else {
                continue;
            };
            if !is_pass || !clean {
                continue;
            }
            let definition = emit::workflow_def(&emit::CheckedWorkflow {
                workflow: &analysis.workflows[index],
                scope: &analysis.scopes[index],
                graph,
                sources: &analysis.sources,
            });
            for problem in schema_errors(&workflow_schema, &definition)
                .into_iter()
                .chain(registration_problems(&definition))
                .chain(reference_problems(&definition))
                .chain(runtime_problems(&definition))
                .chain(schema_def_problems(&definition))
            {
                problems.push(format!("{path}: {problem}"));
            }
            checked += 1;
        }
    }
    assert!(checked > 30, "only {checked} rule fixtures checked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The conformance checks find what they are for.
#[test]
fn conformance_checks_catch_mistakes() {
    let broken = serde_json::json!({
        "name": "broken",
        "schemaVersion": 2,
        "tasks": [
            {"name": "f", "taskReferenceName": "f", "type": "FORK_JOIN",
             "forkTasks": [[{"name": "s", "taskReferenceName": "s", "type": "SWITCH",
                             "evaluatorType": "value-param", "expression": "x",
                             "decisionCases": {"a": []}}]]},
            {"name": "j", "taskReferenceName": "j", "type": "JOIN", "joinOn": ["s"]},
            {"name": "d", "taskReferenceName": "d", "type": "DO_WHILE", "loopOver": [
                {"name": "x", "taskReferenceName": "a__b", "type": "NOOP"}]},
            {"name": "t", "taskReferenceName": "t", "type": "SIMPLE",
             "inputParameters": {"x": "${nowhere.output.x}"}},
            {"name": "t", "taskReferenceName": "t", "type": "TERMINATE",
             "inputParameters": {"terminationStatus": "${workflow.input.s}"}}
        ]
    });
    let registration = registration_problems(&broken);
    assert!(
        registration
            .iter()
            .any(|problem| problem.contains("loopCondition field is required")),
        "{registration:?}"
    );
    assert!(
        registration
            .iter()
            .any(|problem| problem.contains("should be unique"))
    );
    assert!(
        registration
            .iter()
            .any(|problem| problem.contains("nowhere for given task"))
    );
    assert!(
        registration
            .iter()
            .any(|problem| problem.contains("terminationStatus"))
    );
    let runtime = runtime_problems(&broken);
    assert!(
        runtime
            .iter()
            .any(|problem| problem.contains("ends with a SWITCH"))
    );
    assert!(
        runtime
            .iter()
            .any(|problem| problem.contains("contains `__`"))
    );
    if let Some(openapi) = openapi() {
        let validator = strict_validator(&openapi.join("schemas__WorkflowDef.json"));
        let typo = serde_json::json!({
            "name": "typo", "tasks": [{"name": "a", "taskReferenceName": "a", "type": "DO_WHILE",
                                       "loopCondtion": "true", "loopOver": []}]
        });
        assert!(!schema_errors(&validator, &typo).is_empty());
    }
}
