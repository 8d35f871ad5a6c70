//! Import: Conductor WorkflowDef/TaskDef JSON → idiomatic wfc YAML.
//!
//! Pure: JSON values in, YAML texts and notes out; the CLI (`wfc import`) reads and writes the
//! files. The conversion is lossless: every field of the definition ends up either in a wfc key
//! that compiles back to it or under a `raw:` escape hatch, so that `wfc compile` of the result
//! gives the original definition modulo the normalisations of docs/import.md.
//!
//! # Task lists
//!
//! Conductor runs a task list in order; wfc plans a list from its data references and `after:`
//! edges. Each list is turned into a graph that says exactly what Conductor's order says: every
//! task comes after the task before it, and a `FORK_JOIN` + `JOIN` pair that only expresses
//! independence (plain fork and join, the join waits for the last task of every branch, nothing
//! reads either of them) is dissolved into its branches, each running after what preceded the
//! fork, with the task after the join running after the last task of every branch. An `after:`
//! is written only where no reference already implies the order (a transitive reduction), so
//! most imported lists have few of them. A plain fork whose JOIN is read becomes a `parallel:`
//! task named by the JOIN; other forks stay raw JSON, followed by a `join`.
//!
//! # Findings of the original
//!
//! The generated files are checked before they are returned: what `wfc check` still reports is
//! a defect of the original definition that Conductor accepts (no owner, a read of a task that
//! does not exist, …). It is kept, and suppressed on its line (or in the file, inside scripts)
//! with a comment quoting the finding.
//!
//! # Tasks
//!
//! A task becomes a wfc kind when the kind compiles to exactly its fields (an HTTP task with a
//! complete `http_request`, a `value-param` or `javascript` SWITCH, an INLINE task in
//! JavaScript, …); fields the kind does not produce are kept under the task's `raw:`. A task no
//! kind fits (AI tasks, DECISION, LAMBDA, dynamic forks, …) is a `raw:` task with its JSON. A
//! SIMPLE task is a `worker:` with a contract (`input: any`, `output: any`, the settings of
//! the TaskDef when one is given) in `contracts.workers.yaml`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde_json::{Map, Value};

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::diagnostic::Severity;
use crate::expression;
use crate::project::{self, InputFile, SourceLoader};
use crate::rules;
use crate::source::LineIndex;
use crate::syntax::{self, PlainValue};

/// The file holding the worker contracts of an import.
pub const CONTRACTS_FILE: &str = "contracts.workers.yaml";

/// One input document: a display name (the path) and its parsed JSON.
#[derive(Debug, Clone)]
pub struct ImportInput {
    pub name: String,
    pub value: Value,
}

/// A generated file: its name (no directory) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedFile {
    pub name: String,
    pub text: String,
}

/// A problem with an input: where (input name and JSON pointer) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProblem {
    pub input: String,
    /// JSON pointer of the offending value (`""` for the whole document).
    pub pointer: String,
    pub message: String,
}

/// What an import produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    /// One `NAME.wf.yaml` per workflow (in input order), then the contracts file when any
    /// worker or TaskDef was found.
    pub files: Vec<ImportedFile>,
    /// Inputs that are not WorkflowDefs or TaskDefs; nothing is generated from them.
    pub problems: Vec<ImportProblem>,
    /// What the reader should know about the result (kept raw, suppressed findings).
    pub notes: Vec<String>,
}

/// Imports the workflow and task definitions of `inputs`.
pub fn import(inputs: &[ImportInput]) -> Imported {
    let mut imported = generate(inputs);
    if imported.problems.is_empty() {
        suppress_findings_of_the_originals(&mut imported);
    }
    imported
}

/// The files of an import before the findings of the originals are suppressed: what
/// [`crate::registration::workflow_def_violations`] analyses to judge a definition as Conductor
/// would.
pub(crate) fn generate(inputs: &[ImportInput]) -> Imported {
    let mut imported = Imported::default();
    let mut workflows: Vec<&Map<String, Value>> = Vec::new();
    let mut task_defs: Vec<&Map<String, Value>> = Vec::new();
    for input in inputs {
        classify(
            input,
            &mut workflows,
            &mut task_defs,
            &mut imported.problems,
        );
    }
    if !imported.problems.is_empty() {
        return imported;
    }
    let mut workers: BTreeMap<String, Option<&Map<String, Value>>> = BTreeMap::new();
    for def in &task_defs {
        if let Some(name) = def.get("name").and_then(Value::as_str) {
            workers.insert(name.to_string(), Some(def));
        }
    }
    let mut versions: HashMap<&str, usize> = HashMap::new();
    for workflow in &workflows {
        let name = workflow.get("name").and_then(Value::as_str).unwrap_or("");
        *versions.entry(name).or_default() += 1;
    }
    let mut definitions: BTreeMap<(&str, i64), usize> = BTreeMap::new();
    for workflow in &workflows {
        let name = workflow.get("name").and_then(Value::as_str).unwrap_or("");
        let version = workflow.get("version").and_then(Value::as_i64).unwrap_or(1);
        *definitions.entry((name, version)).or_default() += 1;
    }
    for ((name, version), count) in definitions {
        if count > 1 {
            imported.notes.push(format!(
                "workflow `{name}` version {version} is defined {count} times in the inputs; `wfc check` reports it (WF025) until all but one are removed or renamed"
            ));
        }
    }
    let mut taken: HashSet<String> = HashSet::new();
    taken.insert(CONTRACTS_FILE.to_string());
    for workflow in &workflows {
        let mut converter = WorkflowConverter::new(workflow);
        let text = converter.convert();
        for worker in &converter.workers {
            workers.entry(worker.clone()).or_insert(None);
        }
        let name = workflow.get("name").and_then(Value::as_str).unwrap_or("");
        let several = versions.get(name).copied().unwrap_or(0) > 1;
        let version = workflow.get("version").and_then(Value::as_i64).unwrap_or(1);
        let file_name = unique_file_name(name, several.then_some(version), &mut taken);
        for note in converter.notes {
            imported.notes.push(format!("{file_name}: {note}"));
        }
        imported.files.push(ImportedFile {
            name: file_name,
            text,
        });
    }
    if !workers.is_empty() {
        imported.files.push(ImportedFile {
            name: CONTRACTS_FILE.to_string(),
            text: contracts_file(&workers),
        });
    }
    imported
}

/// Reads the generated files from memory.
struct GeneratedFiles<'a>(&'a [ImportedFile]);

impl SourceLoader for GeneratedFiles<'_> {
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

/// An error of `wfc check` in a generated file: file name, 0-based line, code, message.
struct Finding {
    file: String,
    line: usize,
    code: &'static str,
    message: String,
}

/// Analyses generated files as `wfc check` would, with the default configuration.
pub(crate) fn analyze_generated(files: &[ImportedFile]) -> project::Analysis {
    let inputs: Vec<InputFile> = files
        .iter()
        .map(|file| InputFile {
            path: PathBuf::from(&file.name),
            text: file.text.clone(),
        })
        .collect();
    project::analyze(inputs, &GeneratedFiles(files), &Config::default())
}

/// The errors `wfc check` reports in the generated files.
fn findings(files: &[ImportedFile]) -> Vec<Finding> {
    let analysis = analyze_generated(files);
    let mut found = Vec::new();
    for diagnostic in &analysis.diagnostics {
        // Two inputs defining one workflow or worker is a conflict of the inputs, not a defect
        // of one definition: it stays an error.
        if diagnostic.severity != Severity::Error
            || diagnostic.code == rules::duplicate_declaration::RULE.code
        {
            continue;
        }
        let path = analysis.sources.path(diagnostic.file);
        let file = Path::new(path)
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default()
            .to_string();
        let text = analysis.sources.text(diagnostic.file);
        let line = LineIndex::new(text).line_of(diagnostic.span.start as usize);
        let label = diagnostic
            .label
            .as_ref()
            .map(|label| format!(": {label}"))
            .unwrap_or_default();
        found.push(Finding {
            file,
            line,
            code: diagnostic.code,
            message: format!("{}{label}", diagnostic.message).replace(['\n', '\r'], " "),
        });
    }
    found
}

/// The 0-based lines inside block scalars, where a `#` would be text, not a comment.
fn block_scalar_lines(text: &str) -> HashSet<usize> {
    let mut lines = HashSet::new();
    let parsed = syntax::parse(crate::source::FileId(0), text);
    let index = LineIndex::new(text);
    let mut pending: Vec<&syntax::Node> = parsed.root.iter().collect();
    while let Some(node) = pending.pop() {
        match &node.kind {
            syntax::NodeKind::Scalar(scalar) => {
                if matches!(scalar.style, syntax::Style::Literal | syntax::Style::Folded) {
                    let first = index.line_of(node.span.start as usize);
                    let last = index.line_of(node.span.end as usize);
                    lines.extend(first..=last);
                }
            }
            syntax::NodeKind::Sequence(items) => pending.extend(items),
            syntax::NodeKind::Mapping(entries) => {
                for item in entries {
                    pending.push(&item.key);
                    pending.push(&item.value);
                }
            }
        }
    }
    lines
}

/// Checks the generated files. What is still an error there is a defect of the original
/// definition that wfc reports and Conductor accepts (a read of a task that does not exist, a
/// loop reading its own output, no owner email, …): the import keeps the definition as it is,
/// suppresses the finding on its line (`# wfc: ignore[CODE] original: MESSAGE`) or, where that
/// line is inside a script, in the whole file under a comment quoting it, and says so in a note.
fn suppress_findings_of_the_originals(imported: &mut Imported) {
    let first = findings(&imported.files);
    for file in &mut imported.files {
        let mut by_line: BTreeMap<usize, Vec<&Finding>> = BTreeMap::new();
        for finding in first.iter().filter(|finding| finding.file == file.name) {
            by_line.entry(finding.line).or_default().push(finding);
        }
        if by_line.is_empty() {
            continue;
        }
        let blocks = block_scalar_lines(&file.text);
        let mut lines: Vec<String> = file.text.split('\n').map(String::from).collect();
        for (line, found) in by_line {
            if blocks.contains(&line) || line >= lines.len() || lines[line].contains('#') {
                continue;
            }
            let codes: BTreeSet<&str> = found.iter().map(|finding| finding.code).collect();
            let codes: Vec<&str> = codes.into_iter().collect();
            lines[line].push_str(&format!(
                "  # wfc: ignore[{}] original: {}",
                codes.join(", "),
                found[0].message
            ));
            for finding in found {
                imported.notes.push(format!(
                    "{}:{}: {} suppressed, the original definition has it: {}",
                    file.name,
                    line + 1,
                    finding.code,
                    finding.message
                ));
            }
        }
        file.text = lines.join("\n");
    }
    let second = findings(&imported.files);
    for file in &mut imported.files {
        let mut codes: BTreeMap<&'static str, (&str, usize)> = BTreeMap::new();
        for finding in second.iter().filter(|finding| finding.file == file.name) {
            codes.entry(finding.code).or_insert((&finding.message, 0)).1 += 1;
        }
        if codes.is_empty() {
            continue;
        }
        let mut header = String::new();
        for (code, (message, count)) in codes {
            let more = if count > 1 {
                format!(" and {} more", count - 1)
            } else {
                String::new()
            };
            header.push_str(&format!(
                "# The original definition: {message}{more}.\n# wfc: ignore-file[{code}]\n"
            ));
            imported.notes.push(format!(
                "{}: {code} suppressed in the whole file, the original definition has it: {message}{more}",
                file.name
            ));
        }
        header.push('\n');
        file.text.insert_str(0, &header);
    }
}

/// Sorts the documents of one input into workflows and TaskDefs, or reports it.
fn classify<'a>(
    input: &'a ImportInput,
    workflows: &mut Vec<&'a Map<String, Value>>,
    task_defs: &mut Vec<&'a Map<String, Value>>,
    problems: &mut Vec<ImportProblem>,
) {
    let documents: Vec<(String, &Value)> = match &input.value {
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .enumerate()
            .map(|(index, item)| (format!("/{index}"), item))
            .collect(),
        Value::Array(_) => {
            problems.push(ImportProblem {
                input: input.name.clone(),
                pointer: String::new(),
                message: "an empty list holds no definition".to_string(),
            });
            return;
        }
        other => vec![(String::new(), other)],
    };
    for (pointer, document) in documents {
        match definition_kind(document) {
            Ok(DefinitionKind::Workflow(def)) => workflows.push(def),
            Ok(DefinitionKind::TaskDef(def)) => task_defs.push(def),
            Err(message) => problems.push(ImportProblem {
                input: input.name.clone(),
                pointer,
                message,
            }),
        }
    }
}

enum DefinitionKind<'a> {
    Workflow(&'a Map<String, Value>),
    TaskDef(&'a Map<String, Value>),
}

/// TaskDef fields (FORMAT.md §B.4), to tell a TaskDef from other objects with a `name`.
const TASK_DEF_FIELDS: &[&str] = &[
    "name",
    "description",
    "retryCount",
    "timeoutSeconds",
    "totalTimeoutSeconds",
    "responseTimeoutSeconds",
    "pollTimeoutSeconds",
    "timeoutPolicy",
    "retryLogic",
    "retryDelaySeconds",
    "backoffScaleFactor",
    "maxRetryDelaySeconds",
    "backoffJitterMs",
    "concurrentExecLimit",
    "rateLimitPerFrequency",
    "rateLimitFrequencyInSeconds",
    "inputKeys",
    "outputKeys",
    "inputTemplate",
    "isolationGroupId",
    "executionNameSpace",
    "ownerEmail",
    "baseType",
    "runtimeMetadata",
    "taskStatusListenerEnabled",
    "inputSchema",
    "outputSchema",
    "enforceSchema",
    "ownerApp",
    "createTime",
    "updateTime",
    "createdBy",
    "updatedBy",
    "tags",
];

fn definition_kind(value: &Value) -> Result<DefinitionKind<'_>, String> {
    let Value::Object(object) = value else {
        return Err(format!(
            "expected a WorkflowDef or TaskDef object, found {}",
            json_kind(value)
        ));
    };
    let name = object.get("name").and_then(Value::as_str);
    if object.contains_key("tasks") {
        if !object.get("tasks").is_some_and(Value::is_array) {
            return Err("`tasks` of a WorkflowDef must be a list".to_string());
        }
        if name.is_none_or(|name| name.trim().is_empty()) {
            return Err("a WorkflowDef needs a `name`".to_string());
        }
        return Ok(DefinitionKind::Workflow(object));
    }
    if name.is_some_and(|name| !name.trim().is_empty())
        && object
            .keys()
            .all(|key| TASK_DEF_FIELDS.contains(&key.as_str()))
    {
        return Ok(DefinitionKind::TaskDef(object));
    }
    if object.contains_key("taskReferenceName") {
        return Err(
            "this is a single WorkflowTask, not a WorkflowDef; wrap it in `{\"name\": …, \"tasks\": [ … ]}`"
                .to_string(),
        );
    }
    Err("not a WorkflowDef (an object with `name` and `tasks`) nor a TaskDef".to_string())
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// `NAME.wf.yaml` (or `NAME.vN.wf.yaml`), with characters file systems refuse replaced, never
/// a name taken before.
fn unique_file_name(name: &str, version: Option<i64>, taken: &mut HashSet<String>) -> String {
    let stem = crate::emit::file_stem(name);
    let base = match version {
        Some(version) => format!("{stem}.v{version}"),
        None => stem,
    };
    let mut candidate = format!("{base}.wf.yaml");
    let mut number = 2;
    while taken.contains(&candidate) {
        candidate = format!("{base}_{number}.wf.yaml");
        number += 1;
    }
    taken.insert(candidate.clone());
    candidate
}

// ----- defaults -------------------------------------------------------------------------------

/// Whether a WorkflowTask field holds Conductor's default (absent and this value mean the same;
/// the server writes these back on GET, FORMAT.md §A).
pub fn is_default_task_field(key: &str, value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(flag) => {
            !*flag
                && matches!(
                    key,
                    "optional" | "asyncComplete" | "permissive" | "rateLimited"
                )
        }
        Value::Number(number) => key == "startDelay" && number.as_i64() == Some(0),
        Value::String(text) => key == "type" && text == "SIMPLE",
        Value::Array(items) => {
            items.is_empty()
                && matches!(
                    key,
                    "defaultCase"
                        | "forkTasks"
                        | "loopOver"
                        | "joinOn"
                        | "defaultExclusiveJoinTask"
                )
        }
        Value::Object(entries) => {
            entries.is_empty()
                && matches!(
                    key,
                    "inputParameters" | "decisionCases" | "onStateChange" | "metadata"
                )
        }
    }
}

/// Whether a WorkflowDef field holds Conductor's default.
pub fn is_default_workflow_field(key: &str, value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(flag) => match key {
            "restartable" | "enforceSchema" => *flag,
            "workflowStatusListenerEnabled" => !*flag,
            _ => false,
        },
        Value::Number(number) => match key {
            "version" => number.as_i64() == Some(1),
            "schemaVersion" => number.as_i64() == Some(2),
            "timeoutSeconds" => number.as_i64() == Some(0),
            _ => false,
        },
        Value::String(text) => key == "timeoutPolicy" && text == "ALERT_ONLY",
        Value::Array(items) => {
            items.is_empty() && matches!(key, "inputParameters" | "maskedFields")
        }
        Value::Object(entries) => {
            entries.is_empty()
                && matches!(
                    key,
                    "outputParameters" | "variables" | "inputTemplate" | "metadata"
                )
        }
    }
}

// ----- references -----------------------------------------------------------------------------

/// The roots of the `${...}` expressions in every string of `value` (`task` for
/// `${task.output.x}`, `workflow` for `${workflow.input.x}`), also those of nested expressions.
fn expression_roots(value: &Value, roots: &mut HashSet<String>) {
    each_string(value, &mut |text| {
        if !text.contains("${") {
            return;
        }
        let template = expression::scan(text);
        for found in template.all_expressions() {
            let body = found.inner_text(text).trim();
            let path = body.strip_prefix("$.").unwrap_or(body);
            let end = path.find(['.', '[']).unwrap_or(path.len());
            roots.insert(path[..end].to_string());
        }
    });
}

/// The names read as `${workflow.input.NAME}`.
fn workflow_reads(value: &Value, inputs: &mut BTreeSet<String>) {
    each_string(value, &mut |text| {
        if !text.contains("${") {
            return;
        }
        let template = expression::scan(text);
        for found in template.all_expressions() {
            let body = found.inner_text(text).trim();
            let path = body.strip_prefix("$.").unwrap_or(body);
            if let Some(rest) = path.strip_prefix("workflow.input.") {
                let end = rest.find(['.', '[', '$', '}']).unwrap_or(rest.len());
                if end > 0 {
                    inputs.insert(rest[..end].to_string());
                }
            }
        }
    });
}

fn each_string(value: &Value, visit: &mut dyn FnMut(&str)) {
    let mut pending = vec![value];
    while let Some(value) = pending.pop() {
        match value {
            Value::String(text) => visit(text),
            Value::Array(items) => pending.extend(items.iter().rev()),
            Value::Object(entries) => pending.extend(entries.values().rev()),
            _ => {}
        }
    }
}

/// Every `taskReferenceName` inside `value` (the task itself and its nested tasks).
fn contained_refs(value: &Value, refs: &mut HashSet<String>) {
    let mut pending = vec![value];
    while let Some(value) = pending.pop() {
        match value {
            Value::Object(entries) => {
                if let Some(Value::String(name)) = entries.get("taskReferenceName") {
                    refs.insert(name.clone());
                }
                // An inline sub-workflow definition has references of its own.
                pending.extend(
                    entries
                        .iter()
                        .filter(|(key, _)| key.as_str() != "workflowDefinition")
                        .map(|(_, value)| value),
                );
            }
            Value::Array(items) => pending.extend(items),
            _ => {}
        }
    }
}

/// Names Conductor and wfc accept for workflows and workers (`WF083`).
fn is_valid_name(name: &str) -> bool {
    !name.trim().is_empty()
        && name
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || " _-<>{}#".contains(character))
}

// ----- workflows ------------------------------------------------------------------------------

/// A task of a list being converted: its YAML and what the ordering needs.
struct ListNode {
    reference: String,
    yaml: Vec<YamlEntry>,
    /// Nodes that run before it in Conductor's order (its immediate predecessors).
    predecessors: Vec<usize>,
    /// References defined by the task and its nested tasks.
    defines: HashSet<String>,
    /// Expression roots and joined references read by the task and its nested tasks.
    reads: HashSet<String>,
}

struct WorkflowConverter<'a> {
    def: &'a Map<String, Value>,
    /// References read anywhere (expression roots, `joinOn`, `defaultExclusiveJoinTask`).
    read_anywhere: HashSet<String>,
    /// SIMPLE workers used.
    workers: BTreeSet<String>,
    notes: Vec<String>,
}

impl<'a> WorkflowConverter<'a> {
    fn new(def: &'a Map<String, Value>) -> WorkflowConverter<'a> {
        let mut read_anywhere = HashSet::new();
        expression_roots(&Value::Object(def.clone()), &mut read_anywhere);
        let mut pending: Vec<&Value> = vec![def.get("tasks").unwrap_or(&Value::Null)];
        while let Some(value) = pending.pop() {
            match value {
                Value::Object(entries) => {
                    for key in ["joinOn", "defaultExclusiveJoinTask"] {
                        if let Some(Value::Array(items)) = entries.get(key) {
                            read_anywhere
                                .extend(items.iter().filter_map(Value::as_str).map(String::from));
                        }
                    }
                    pending.extend(entries.values());
                }
                Value::Array(items) => pending.extend(items),
                _ => {}
            }
        }
        WorkflowConverter {
            def,
            read_anywhere,
            workers: BTreeSet::new(),
            notes: Vec::new(),
        }
    }

    fn convert(&mut self) -> String {
        let def = self.def;
        let mut rest: Map<String, Value> = def
            .iter()
            .filter(|(key, value)| !is_default_workflow_field(key, value))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        let mut out: Vec<YamlEntry> = Vec::new();
        let name = rest
            .remove("name")
            .and_then(|name| name.as_str().map(String::from))
            .unwrap_or_default();
        out.push(entry("workflow", Yaml::string(&name)));
        take_if(&mut rest, "version", &mut out, "version", |value| {
            value
                .as_i64()
                .filter(|version| *version >= 1)
                .map(|_| Yaml::Scalar(value.clone()))
        });
        take_if(&mut rest, "description", &mut out, "description", |value| {
            value.as_str().map(Yaml::string)
        });
        take_if(&mut rest, "ownerEmail", &mut out, "owner", |value| {
            value
                .as_str()
                .filter(|owner| owner.contains('@') && !owner.trim().is_empty())
                .map(Yaml::string)
        });
        take_if(&mut rest, "timeoutSeconds", &mut out, "timeout", |value| {
            value.as_u64().map(|seconds| Yaml::Scalar(seconds.into()))
        });
        take_if(
            &mut rest,
            "timeoutPolicy",
            &mut out,
            "timeout_policy",
            |value| match value.as_str() {
                Some("TIME_OUT_WF") => Some(Yaml::string("time_out_workflow")),
                _ => None,
            },
        );
        take_if(
            &mut rest,
            "failureWorkflow",
            &mut out,
            "on_failure",
            |value| {
                value
                    .as_str()
                    .filter(|name| !name.trim().is_empty())
                    .map(Yaml::string)
            },
        );
        take_if(&mut rest, "restartable", &mut out, "restartable", |value| {
            value.as_bool().map(|flag| Yaml::Scalar(flag.into()))
        });
        if rest.get("workflowStatusListenerEnabled") == Some(&Value::Bool(true)) {
            match rest
                .get("workflowStatusListenerSink")
                .and_then(Value::as_str)
            {
                Some(sink) if !sink.is_empty() => {
                    out.push(entry("status_listener", Yaml::string(sink)));
                    rest.remove("workflowStatusListenerSink");
                }
                _ => out.push(entry("status_listener", Yaml::Scalar(true.into()))),
            }
            rest.remove("workflowStatusListenerEnabled");
        }

        // Inputs: the declared names, the defaults and every name the workflow reads.
        let mut read_inputs = BTreeSet::new();
        workflow_reads(&Value::Object(def.clone()), &mut read_inputs);
        let declared: Vec<String> = match rest.get("inputParameters") {
            Some(Value::Array(names)) if names.iter().all(Value::is_string) => names
                .iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect(),
            _ => Vec::new(),
        };
        let template = match rest.get("inputTemplate") {
            Some(Value::Object(template)) => Some(template.clone()),
            _ => None,
        };
        let mut names: Vec<String> = Vec::new();
        for name in declared
            .iter()
            .chain(template.iter().flat_map(Map::keys))
            .chain(read_inputs.iter())
        {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
        if names.iter().all(|name| is_field_name(name)) {
            rest.remove("inputTemplate");
            if names == declared {
                rest.remove("inputParameters");
            } else {
                // The original list names fewer (or other) inputs than the workflow reads.
                let original = declared.iter().map(|name| Value::from(name.as_str()));
                rest.insert("inputParameters".to_string(), original.collect());
            }
            if !names.is_empty() {
                let mut inputs = Vec::new();
                for name in &names {
                    let field = match template.as_ref().and_then(|template| template.get(name)) {
                        Some(default) => Yaml::Map(vec![
                            entry("type", Yaml::string("any")),
                            entry("default", Yaml::from_json(default)),
                        ]),
                        None => Yaml::string("any"),
                    };
                    inputs.push(entry(name, field));
                }
                out.push(entry("inputs", Yaml::Map(inputs)));
            }
        }
        if let Some(Value::Object(outputs)) = rest.remove("outputParameters") {
            let mut entries = Vec::new();
            for (key, value) in &outputs {
                let wrapped = match value {
                    Value::Object(fields)
                        if fields.contains_key("value") || fields.contains_key("type") =>
                    {
                        Yaml::Map(vec![entry("value", Yaml::from_json(value))])
                    }
                    _ => Yaml::from_json(value),
                };
                entries.push(entry(key, wrapped));
            }
            out.push(entry("outputs", Yaml::Map(entries)));
        }
        if let Some(Value::Object(variables)) = rest.remove("variables") {
            out.push(entry(
                "variables",
                Yaml::from_json(&Value::Object(variables)),
            ));
        }
        let tasks = match rest.remove("tasks") {
            Some(Value::Array(tasks)) => tasks,
            _ => Vec::new(),
        };
        let task_entries = self.list(&tasks);
        if !self.workers.is_empty() {
            let position = out
                .iter()
                .position(|item| {
                    matches!(
                        item.key.as_str(),
                        "inputs" | "outputs" | "variables" | "tasks"
                    )
                })
                .unwrap_or(out.len());
            out.insert(
                position,
                entry("imports", Yaml::Seq(vec![Yaml::string(CONTRACTS_FILE)])),
            );
        }
        out.push(entry("tasks", Yaml::Map(task_entries)));
        if !rest.is_empty() {
            out.push(entry("raw", Yaml::from_json(&Value::Object(rest))));
        }

        let mut text = String::new();
        write_map(&out, 0, &mut text);
        text
    }

    /// Converts one Conductor task list into a wfc task mapping with the same order.
    fn list(&mut self, tasks: &[Value]) -> Vec<YamlEntry> {
        let mut nodes: Vec<ListNode> = Vec::new();
        self.sequence(tasks, Vec::new(), &mut nodes);
        order_edges(&mut nodes, &mut self.notes);
        nodes
            .into_iter()
            .map(|node| YamlEntry {
                key: node.reference,
                value: Yaml::Map(node.yaml),
                comment: None,
            })
            .collect()
    }

    /// Adds the tasks of a sequence to `nodes`, the first after `frontier`; returns the nodes
    /// the next task must follow.
    fn sequence(
        &mut self,
        tasks: &[Value],
        mut frontier: Vec<usize>,
        nodes: &mut Vec<ListNode>,
    ) -> Vec<usize> {
        let mut index = 0;
        while index < tasks.len() {
            let task = &tasks[index];
            let next = tasks.get(index + 1);
            let task_type = task_type(task);
            if task_type == "FORK_JOIN"
                && let Some(join) = next
                && self.dissolvable(task, join)
            {
                let mut ends = Vec::new();
                let branches = task.get("forkTasks").and_then(Value::as_array);
                for branch in branches.into_iter().flatten() {
                    let branch = branch.as_array().map_or(&[][..], Vec::as_slice);
                    ends.extend(self.sequence(branch, frontier.clone(), nodes));
                }
                ends.sort_unstable();
                ends.dedup();
                frontier = ends;
                index += 2;
                continue;
            }
            if task_type == "FORK_JOIN"
                && let Some(join) = next
                && let Some(node) = self.parallel(task, join, frontier.clone())
            {
                nodes.push(node);
                frontier = vec![nodes.len() - 1];
                index += 2;
                continue;
            }
            let node = self.node(task, frontier.clone());
            nodes.push(node);
            frontier = vec![nodes.len() - 1];
            index += 1;
        }
        frontier
    }

    /// The branches of a FORK_JOIN followed by a JOIN when both are plain: no fields but their
    /// names, references, non-empty branches and `joinOn`, which lists the last task of every
    /// branch. The flag says whether `joinOn` lists them in the order of the branches.
    fn plain_fork<'v>(fork: &'v Value, join: &Value) -> Option<(Vec<&'v [Value]>, bool)> {
        if task_type(join) != "JOIN" {
            return None;
        }
        let plain = |task: &Value, allowed: &[&str]| {
            task.as_object().is_some_and(|fields| {
                fields.iter().all(|(key, value)| {
                    allowed.contains(&key.as_str()) || is_default_task_field(key, value)
                })
            })
        };
        if !plain(fork, &["name", "taskReferenceName", "type", "forkTasks"])
            || !plain(join, &["name", "taskReferenceName", "type", "joinOn"])
        {
            return None;
        }
        let mut branches = Vec::new();
        let mut last_refs = Vec::new();
        for branch in fork.get("forkTasks").and_then(Value::as_array)? {
            let branch = branch.as_array()?;
            last_refs.push(branch.last()?.get("taskReferenceName")?.as_str()?);
            branches.push(branch.as_slice());
        }
        let joined: Vec<&str> = join
            .get("joinOn")
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let joined_set: BTreeSet<&str> = joined.iter().copied().collect();
        let last_set: BTreeSet<&str> = last_refs.iter().copied().collect();
        (joined_set == last_set).then_some((branches, joined == last_refs))
    }

    fn unread(&self, task: &Value) -> bool {
        task.get("taskReferenceName")
            .and_then(Value::as_str)
            .is_some_and(|reference| !self.read_anywhere.contains(reference))
    }

    /// Whether a FORK_JOIN and the task after it only express independence: a plain pair
    /// ([`Self::plain_fork`]) neither of which any task reads or joins.
    fn dissolvable(&self, fork: &Value, join: &Value) -> bool {
        Self::plain_fork(fork, join).is_some() && self.unread(fork) && self.unread(join)
    }

    /// A plain FORK_JOIN + JOIN whose JOIN is read, as a `parallel:` task named by the JOIN
    /// (which wfc's `parallel` emits with that reference and name); the fork keeps its reference
    /// and name through `raw:`. `None` when the pair cannot be written so.
    fn parallel(
        &mut self,
        fork: &Value,
        join: &Value,
        predecessors: Vec<usize>,
    ) -> Option<ListNode> {
        let (branches, in_order) = Self::plain_fork(fork, join)?;
        let reference = join.get("taskReferenceName").and_then(Value::as_str)?;
        if !in_order
            || !self.unread(fork)
            || join.get("name").and_then(Value::as_str) != Some(reference)
        {
            return None;
        }
        let mut yaml_branches = Vec::new();
        for branch in branches {
            yaml_branches.push(Yaml::Map(self.list(branch)));
        }
        let mut yaml = vec![entry("parallel", Yaml::Seq(yaml_branches))];
        let fork_reference = fork.get("taskReferenceName").and_then(Value::as_str)?;
        let mut raw = vec![entry("taskReferenceName", Yaml::string(fork_reference))];
        if let Some(name) = fork.get("name").and_then(Value::as_str) {
            raw.push(entry("name", Yaml::string(name)));
        }
        yaml.push(entry("raw", Yaml::Map(raw)));
        let mut defines = HashSet::new();
        contained_refs(fork, &mut defines);
        defines.insert(reference.to_string());
        let mut reads = HashSet::new();
        expression_roots(fork, &mut reads);
        let mut pending = vec![fork];
        while let Some(value) = pending.pop() {
            match value {
                Value::Object(entries) => {
                    for key in ["joinOn", "defaultExclusiveJoinTask"] {
                        if let Some(Value::Array(items)) = entries.get(key) {
                            reads.extend(items.iter().filter_map(Value::as_str).map(String::from));
                        }
                    }
                    pending.extend(entries.values());
                }
                Value::Array(items) => pending.extend(items),
                _ => {}
            }
        }
        Some(ListNode {
            reference: reference.to_string(),
            yaml,
            predecessors,
            defines,
            reads,
        })
    }

    /// One task as a node of its list.
    fn node(&mut self, task: &Value, predecessors: Vec<usize>) -> ListNode {
        let reference = task
            .get("taskReferenceName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let mut defines = HashSet::new();
        contained_refs(task, &mut defines);
        let mut reads = HashSet::new();
        expression_roots(task, &mut reads);
        let mut pending = vec![task];
        while let Some(value) = pending.pop() {
            match value {
                Value::Object(entries) => {
                    for key in ["joinOn", "defaultExclusiveJoinTask"] {
                        if let Some(Value::Array(items)) = entries.get(key) {
                            reads.extend(items.iter().filter_map(Value::as_str).map(String::from));
                        }
                    }
                    pending.extend(entries.values());
                }
                Value::Array(items) => pending.extend(items),
                _ => {}
            }
        }
        let yaml = self.task(task);
        ListNode {
            reference,
            yaml,
            predecessors,
            defines,
            reads,
        }
    }

    /// The wfc YAML of one Conductor task (without its `after:`).
    fn task(&mut self, task: &Value) -> Vec<YamlEntry> {
        let Some(fields) = task.as_object() else {
            return vec![entry("raw", Yaml::from_json(task))];
        };
        let reference = fields
            .get("taskReferenceName")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let task_type = task_type(task);
        let mut rest: Map<String, Value> = fields
            .iter()
            .filter(|(key, value)| {
                key.as_str() != "taskReferenceName"
                    && key.as_str() != "type"
                    && !is_default_task_field(key, value)
            })
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        let snapshot = rest.clone();
        let kind = self.kind(&task_type, &mut rest);
        let (mut out, is_raw) = match kind {
            Some(kind) => (kind, false),
            None => {
                rest = snapshot;
                (Vec::new(), true)
            }
        };
        if is_raw {
            // The name of a raw task defaults to its reference.
            if rest.get("name").and_then(Value::as_str) == Some(reference) {
                rest.remove("name");
            }
        } else if task_type != "SIMPLE"
            && rest.get("name").and_then(Value::as_str) == Some(reference)
        {
            rest.remove("name");
        }
        let input = if is_raw {
            match rest.get("inputParameters") {
                Some(Value::Object(_)) => rest.remove("inputParameters"),
                _ => None,
            }
        } else {
            None
        };
        // Common keys.
        let mut common = Vec::new();
        if let Some(Value::String(description)) = rest.get("description") {
            common.push(entry("description", Yaml::string(description)));
            rest.remove("description");
        }
        for (field, key) in [
            ("optional", "optional"),
            ("permissive", "permissive"),
            ("asyncComplete", "async_complete"),
        ] {
            if let Some(Value::Bool(flag)) = rest.get(field) {
                common.push(entry(key, Yaml::Scalar((*flag).into())));
                rest.remove(field);
            }
        }
        for (field, key) in [("startDelay", "start_delay"), ("retryCount", "retries")] {
            if let Some(count) = rest.get(field).and_then(Value::as_u64) {
                common.push(entry(key, Yaml::Scalar(count.into())));
                rest.remove(field);
            }
        }
        // Tasks completed from outside: what the workflow reads of them is not known.
        if !is_raw
            && matches!(task_type.as_str(), "WAIT" | "EVENT" | "KAFKA_PUBLISH")
            && self.read_anywhere.contains(reference)
        {
            common.push(entry("output", Yaml::string("any")));
        }
        if is_raw {
            let mut raw = vec![entry("type", Yaml::string(&task_type))];
            for (key, value) in &rest {
                raw.push(entry(key, Yaml::from_json(value)));
            }
            out.push(entry("raw", Yaml::Map(raw)));
            if let Some(input) = input {
                out.push(entry("input", Yaml::from_json(&input)));
            }
            out.extend(common);
        } else {
            out.extend(common);
            if !rest.is_empty() {
                out.push(entry("raw", Yaml::from_json(&Value::Object(rest))));
            }
        }
        out
    }

    /// The kind keys of a task whose kind compiles to its fields, consuming them from `rest`;
    /// `None` when no kind fits (the task stays raw).
    fn kind(&mut self, task_type: &str, rest: &mut Map<String, Value>) -> Option<Vec<YamlEntry>> {
        let mut out = Vec::new();
        let parameters = match rest.get("inputParameters") {
            None => Map::new(),
            Some(Value::Object(parameters)) => parameters.clone(),
            Some(_) => return None,
        };
        let mut input = parameters.clone();
        match task_type {
            "SIMPLE" => {
                let name = rest.get("name").and_then(Value::as_str)?.to_string();
                if !is_valid_name(&name) {
                    return None;
                }
                rest.remove("name");
                out.push(entry("worker", Yaml::string(&name)));
                self.workers.insert(name);
            }
            "HTTP" => {
                let request = input.remove("http_request")?;
                let request = request.as_object()?;
                let mut http = Vec::new();
                let uri = request.get("uri").and_then(Value::as_str)?;
                http.push(entry("url", Yaml::string(uri)));
                let method = request.get("method").and_then(Value::as_str)?;
                let known = [
                    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE",
                ];
                if !known.contains(&method) && !method.contains("${") {
                    return None;
                }
                http.push(entry("method", Yaml::string(method)));
                for (key, value) in request {
                    match key.as_str() {
                        "uri" | "method" => {}
                        "headers" if value.is_object() => {
                            http.push(entry("headers", Yaml::from_json(value)));
                        }
                        "body" => http.push(entry("body", Yaml::from_json(value))),
                        "accept" if value.is_string() => {
                            http.push(entry("accept", Yaml::from_json(value)));
                        }
                        "contentType" if value.is_string() => {
                            http.push(entry("content_type", Yaml::from_json(value)));
                        }
                        "connectionTimeOut" | "readTimeOut" => {
                            let milliseconds = value.as_u64()?;
                            let key = if key == "readTimeOut" {
                                "read_timeout"
                            } else {
                                "connect_timeout"
                            };
                            http.push(entry(key, Yaml::string(&format!("{milliseconds}ms"))));
                        }
                        _ => return None,
                    }
                }
                out.push(entry("http", Yaml::Map(http)));
            }
            "SWITCH" => {
                let evaluator = rest.get("evaluatorType").and_then(Value::as_str)?;
                let expression = rest.get("expression").and_then(Value::as_str)?;
                match evaluator {
                    "value-param" => {
                        let value = input.remove(expression)?;
                        if !value.is_string() || input.contains_key("switchCaseValue") {
                            return None;
                        }
                        out.push(entry("switch", Yaml::from_json(&value)));
                    }
                    "javascript" => out.push(entry(
                        "switch",
                        Yaml::Map(vec![entry("javascript", Yaml::string(expression))]),
                    )),
                    _ => return None,
                }
                let cases = rest
                    .get("decisionCases")
                    .and_then(Value::as_object)?
                    .clone();
                if cases.is_empty()
                    || cases
                        .values()
                        .any(|tasks| tasks.as_array().is_none_or(Vec::is_empty))
                {
                    return None;
                }
                let default = match rest.get("defaultCase") {
                    None => Vec::new(),
                    Some(Value::Array(tasks)) => tasks.clone(),
                    Some(_) => return None,
                };
                for key in [
                    "evaluatorType",
                    "expression",
                    "decisionCases",
                    "defaultCase",
                ] {
                    rest.remove(key);
                }
                let mut case_entries = Vec::new();
                for (value, tasks) in &cases {
                    let tasks = tasks.as_array().map_or(&[][..], Vec::as_slice);
                    case_entries.push(entry(value, Yaml::Map(self.list(tasks))));
                }
                if !input.is_empty() {
                    out.push(entry(
                        "input",
                        Yaml::from_json(&Value::Object(input.clone())),
                    ));
                    input.clear();
                }
                out.push(entry("cases", Yaml::Map(case_entries)));
                if !default.is_empty() {
                    out.push(entry("default", Yaml::Map(self.list(&default))));
                }
            }
            "DO_WHILE" => {
                let condition = rest.get("loopCondition").and_then(Value::as_str)?;
                let body = rest.get("loopOver").and_then(Value::as_array)?.clone();
                if body.is_empty() {
                    return None;
                }
                let mut settings = vec![entry("while", Yaml::string(condition))];
                match rest.get("items") {
                    None => {}
                    Some(Value::String(items)) => {
                        settings.push(entry("items", Yaml::string(items)))
                    }
                    Some(_) => return None,
                }
                if let Some(keep) = input.get("keepLastN").and_then(Value::as_u64) {
                    settings.push(entry("keep_last", Yaml::Scalar(keep.into())));
                    input.remove("keepLastN");
                }
                for key in ["loopCondition", "loopOver", "items"] {
                    rest.remove(key);
                }
                out.push(entry("loop", Yaml::Map(settings)));
                if !input.is_empty() {
                    out.push(entry(
                        "input",
                        Yaml::from_json(&Value::Object(input.clone())),
                    ));
                    input.clear();
                }
                out.push(entry("do", Yaml::Map(self.list(&body))));
            }
            "DYNAMIC" => {
                if rest.get("dynamicTaskNameParam").and_then(Value::as_str) != Some("taskToExecute")
                {
                    return None;
                }
                let name = input.remove("taskToExecute")?;
                if !name.is_string() {
                    return None;
                }
                rest.remove("dynamicTaskNameParam");
                out.push(entry("dynamic", Yaml::from_json(&name)));
            }
            "SUB_WORKFLOW" => {
                let parameters = rest.get("subWorkflowParam").and_then(Value::as_object)?;
                let name = parameters.get("name").and_then(Value::as_str)?;
                let version = parameters.get("version").and_then(Value::as_i64)?;
                if parameters.len() != 2 || !is_valid_name(name) || version < 1 {
                    return None;
                }
                out.push(entry("sub_workflow", Yaml::string(name)));
                out.push(entry("external", Yaml::Scalar(true.into())));
                out.push(entry("version", Yaml::Scalar(version.into())));
                rest.remove("subWorkflowParam");
            }
            "START_WORKFLOW" => {
                let request = input.remove("startWorkflow")?;
                let request = request.as_object()?;
                if !input.is_empty() {
                    return None;
                }
                let name = request.get("name").and_then(Value::as_str)?;
                let version = request.get("version").and_then(Value::as_i64)?;
                let start_input = request.get("input").and_then(Value::as_object)?;
                if !is_valid_name(name)
                    || version < 1
                    || request.keys().any(|key| {
                        !matches!(key.as_str(), "name" | "version" | "input" | "correlationId")
                    })
                {
                    return None;
                }
                out.push(entry("start_workflow", Yaml::string(name)));
                out.push(entry("external", Yaml::Scalar(true.into())));
                out.push(entry("version", Yaml::Scalar(version.into())));
                if let Some(correlation) = request.get("correlationId") {
                    out.push(entry("correlation_id", Yaml::from_json(correlation)));
                }
                input = start_input.clone();
            }
            "WAIT" => {
                let duration = input.remove("duration");
                let until = input.remove("until");
                let wait = match (duration, until) {
                    (Some(_), Some(_)) => return None,
                    (Some(Value::String(text)), None) if text.contains("${") => {
                        Yaml::Map(vec![entry("duration", Yaml::string(&text))])
                    }
                    (Some(Value::String(text)), None) => {
                        // `10s` compiles back as `10 seconds`: the same time for Conductor.
                        let milliseconds = parse_conductor_duration(&text)?;
                        Yaml::string(&wfc_duration(milliseconds / 1000))
                    }
                    (None, Some(Value::String(until))) => {
                        Yaml::Map(vec![entry("until", Yaml::string(&until))])
                    }
                    (None, None) => Yaml::Map(Vec::new()),
                    _ => return None,
                };
                out.push(entry("wait", wait));
            }
            "INLINE" => {
                if input.get("evaluatorType").and_then(Value::as_str) != Some("javascript") {
                    return None;
                }
                let Some(Value::String(script)) = input.remove("expression") else {
                    return None;
                };
                input.remove("evaluatorType");
                out.push(entry("inline", Yaml::string(&script)));
            }
            "JSON_JQ_TRANSFORM" => {
                let Some(Value::String(query)) = input.remove("queryExpression") else {
                    return None;
                };
                out.push(entry("jq", Yaml::string(&query)));
            }
            "SET_VARIABLE" => {
                if input.is_empty() || !input.keys().all(|name| is_field_name(name)) {
                    return None;
                }
                out.push(entry("set", Yaml::from_json(&Value::Object(input.clone()))));
                input.clear();
            }
            "TERMINATE" => {
                let status = input.remove("terminationStatus")?;
                if !matches!(status.as_str(), Some("COMPLETED" | "FAILED" | "TERMINATED")) {
                    return None;
                }
                out.push(entry("terminate", Yaml::from_json(&status)));
                if let Some(reason) = input.remove("terminationReason") {
                    if !reason.is_string() {
                        return None;
                    }
                    out.push(entry("reason", Yaml::from_json(&reason)));
                }
                if let Some(result) = input.remove("workflowOutput") {
                    out.push(entry("result", Yaml::from_json(&result)));
                }
            }
            "EVENT" => {
                let sink = rest.get("sink").and_then(Value::as_str)?.to_string();
                rest.remove("sink");
                out.push(entry("event", Yaml::string(&sink)));
            }
            "KAFKA_PUBLISH" => {
                let request = input.remove("kafka_request")?;
                let request = request.as_object()?;
                let mut kafka = Vec::new();
                for required in ["bootStrapServers", "topic", "value"] {
                    request.get(required)?;
                }
                for (key, value) in request {
                    let (name, yaml) = match key.as_str() {
                        "bootStrapServers" => ("servers", Yaml::from_json(value)),
                        "topic" => ("topic", Yaml::from_json(value)),
                        "value" => ("value", Yaml::from_json(value)),
                        "key" => ("key", Yaml::from_json(value)),
                        "headers" if value.is_object() => ("headers", Yaml::from_json(value)),
                        "keySerializer"
                            if value.as_str().is_some_and(|class| {
                                !matches!(class, "string" | "long" | "integer")
                            }) =>
                        {
                            ("key_serializer", Yaml::from_json(value))
                        }
                        "requestTimeoutMs" | "maxBlockMs" => {
                            let milliseconds = value.as_u64()?;
                            let name = if key == "maxBlockMs" {
                                "max_block"
                            } else {
                                "request_timeout"
                            };
                            (name, Yaml::string(&format!("{milliseconds}ms")))
                        }
                        _ => return None,
                    };
                    kafka.push(entry(name, yaml));
                }
                out.push(entry("kafka", Yaml::Map(kafka)));
            }
            "NOOP" => {
                if !input.is_empty() {
                    return None;
                }
                out.push(entry("noop", Yaml::Scalar(true.into())));
            }
            "JOIN" => {
                let joined = rest
                    .get("joinOn")
                    .cloned()
                    .unwrap_or(Value::Array(Vec::new()));
                let refs = joined.as_array()?;
                if !refs.iter().all(Value::is_string) {
                    return None;
                }
                rest.remove("joinOn");
                out.push(entry("join", Yaml::flow_list(refs)));
            }
            "EXCLUSIVE_JOIN" => {
                let joined = rest
                    .get("joinOn")
                    .cloned()
                    .unwrap_or(Value::Array(Vec::new()));
                let refs = joined.as_array()?;
                if !refs.iter().all(Value::is_string) {
                    return None;
                }
                out.push(entry("exclusive_join", Yaml::flow_list(refs)));
                if let Some(default) = rest.get("defaultExclusiveJoinTask") {
                    let default = default.as_array()?;
                    if !default.iter().all(Value::is_string) {
                        return None;
                    }
                    out.push(entry("default_join", Yaml::flow_list(default)));
                }
                rest.remove("joinOn");
                rest.remove("defaultExclusiveJoinTask");
            }
            _ => return None,
        }
        rest.remove("inputParameters");
        if !input.is_empty() {
            out.push(entry("input", Yaml::from_json(&Value::Object(input))));
        }
        Some(out)
    }
}

/// A workflow input or variable name wfc can declare as a field.
fn is_field_name(name: &str) -> bool {
    !name.is_empty()
        && !name.ends_with('?')
        && name
            .chars()
            .all(|character| character.is_alphanumeric() || "_-".contains(character))
}

fn task_type(task: &Value) -> String {
    task.get("type")
        .and_then(Value::as_str)
        .unwrap_or("SIMPLE")
        .to_string()
}

/// Writes the `after:` of each node: the predecessors its references do not already imply.
fn order_edges(nodes: &mut [ListNode], notes: &mut Vec<String>) {
    let count = nodes.len();
    // Sibling reference edges: a node reading what another node defines runs after it.
    let mut reference_edges: BTreeSet<(usize, usize)> = BTreeSet::new();
    for reader in 0..count {
        for (writer, node) in nodes.iter().enumerate() {
            if writer != reader
                && nodes[reader]
                    .reads
                    .iter()
                    .any(|read| node.defines.contains(read))
            {
                reference_edges.insert((writer, reader));
            }
        }
    }
    let order_edges: BTreeSet<(usize, usize)> = nodes
        .iter()
        .enumerate()
        .flat_map(|(index, node)| node.predecessors.iter().map(move |from| (*from, index)))
        .collect();
    // Conductor's order, transitively: a reference against it changes the order.
    let before = closure(count, &order_edges);
    for &(writer, reader) in &reference_edges {
        if !before[writer][reader] {
            notes.push(format!(
                "task `{}` reads `{}`, which Conductor does not run before it; wfc orders them by the reference",
                nodes[reader].reference, nodes[writer].reference
            ));
        }
    }
    let all: BTreeSet<(usize, usize)> = reference_edges.union(&order_edges).copied().collect();
    for index in 0..count {
        let mut after = Vec::new();
        for &from in &nodes[index].predecessors {
            if reference_edges.contains(&(from, index)) {
                continue;
            }
            // Implied by a longer path?
            let implied = all.iter().any(|&(middle, to)| {
                to == index && middle != from && reaches(count, &all, from, middle)
            });
            if !implied {
                after.push(from);
            }
        }
        if after.is_empty() {
            continue;
        }
        let names: Vec<Value> = after
            .iter()
            .map(|from| Value::from(nodes[*from].reference.as_str()))
            .collect();
        let value = if names.len() == 1 {
            Yaml::Scalar(names[0].clone())
        } else {
            Yaml::flow_list(&names)
        };
        // After the kind keys, before the rest.
        let yaml = &mut nodes[index].yaml;
        let position = yaml
            .iter()
            .position(|item| !is_kind_position_key(&item.key))
            .unwrap_or(yaml.len());
        yaml.insert(position, entry("after", value));
    }
}

/// Keys written before `after:` in a task.
fn is_kind_position_key(key: &str) -> bool {
    crate::lower::KIND_KEYS.contains(&key)
        || matches!(
            key,
            "raw"
                | "external"
                | "version"
                | "correlation_id"
                | "reason"
                | "result"
                | "default_join"
        )
}

fn closure(count: usize, edges: &BTreeSet<(usize, usize)>) -> Vec<Vec<bool>> {
    let mut reach = vec![vec![false; count]; count];
    for (from, row) in reach.iter_mut().enumerate() {
        let mut pending: Vec<usize> = vec![from];
        while let Some(node) = pending.pop() {
            for &(source, target) in edges {
                if source == node && !row[target] {
                    row[target] = true;
                    pending.push(target);
                }
            }
        }
    }
    reach
}

fn reaches(count: usize, edges: &BTreeSet<(usize, usize)>, from: usize, to: usize) -> bool {
    if from == to {
        return true;
    }
    let mut seen = vec![false; count];
    let mut pending = vec![from];
    while let Some(node) = pending.pop() {
        for &(source, target) in edges {
            if source == node && !seen[target] {
                if target == to {
                    return true;
                }
                seen[target] = true;
                pending.push(target);
            }
        }
    }
    false
}

/// Milliseconds of a literal Conductor WAIT duration (`1 hour 30 minutes`, `10s`), following
/// `DateTimeUtils.parseDuration`: days, hours, minutes, seconds, each optional, in that order.
pub fn parse_conductor_duration(text: &str) -> Option<u64> {
    let units: [(&[&str], u64); 4] = [
        (&["days", "day", "d"], 86_400),
        (&["hours", "hour", "hrs", "hr", "h"], 3_600),
        (&["minutes", "minute", "mins", "min", "m"], 60),
        (&["seconds", "second", "secs", "sec", "s"], 1),
    ];
    let mut rest = text.trim();
    let mut total: u64 = 0;
    let mut any = false;
    for (names, factor) in units {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            continue;
        }
        let number: u64 = rest[..digits].parse().ok()?;
        let after = rest[digits..].trim_start();
        let lower = after.to_ascii_lowercase();
        let Some(name) = names.iter().find(|name| lower.starts_with(*name)) else {
            continue;
        };
        total = total.checked_add(number.checked_mul(factor)?)?;
        rest = after[name.len()..].trim_start();
        any = true;
    }
    (any && rest.is_empty()).then(|| total.saturating_mul(1000))
}

/// A wfc duration for whole seconds: `1h30m`, `45s`, `2d`.
fn wfc_duration(total: u64) -> String {
    let parts = [
        (total / 86_400, "d"),
        (total % 86_400 / 3_600, "h"),
        (total % 3_600 / 60, "m"),
        (total % 60, "s"),
    ];
    let text: String = parts
        .iter()
        .filter(|(count, _)| *count > 0)
        .map(|(count, unit)| format!("{count}{unit}"))
        .collect();
    if text.is_empty() {
        String::from("0s")
    } else {
        text
    }
}

/// Moves `rest[field]` to `out` as `key` when `convert` accepts it. Returns whether it did.
fn take_if(
    rest: &mut Map<String, Value>,
    field: &str,
    out: &mut Vec<YamlEntry>,
    key: &str,
    convert: impl FnOnce(&Value) -> Option<Yaml>,
) -> bool {
    let Some(value) = rest.get(field) else {
        return false;
    };
    match convert(value) {
        Some(yaml) => {
            out.push(entry(key, yaml));
            rest.remove(field);
            true
        }
        None => false,
    }
}

// ----- contracts ------------------------------------------------------------------------------

/// The contract file: one contract per worker, with the TaskDef's settings when one was given.
fn contracts_file(workers: &BTreeMap<String, Option<&Map<String, Value>>>) -> String {
    let mut contracts = Vec::new();
    for (name, def) in workers {
        let mut contract = Vec::new();
        let mut rest: Map<String, Value> = def.map(|def| (*def).clone()).unwrap_or_default();
        rest.remove("name");
        if let Some(Value::String(description)) = rest.remove("description") {
            contract.push(entry("description", Yaml::string(&description)));
        }
        contract.push(entry("input", Yaml::string("any")));
        contract.push(entry("output", Yaml::string("any")));
        let mut retry = Vec::new();
        if let Some(count) = rest.get("retryCount").and_then(Value::as_u64) {
            retry.push(entry("count", Yaml::Scalar(count.into())));
            rest.remove("retryCount");
        }
        if let Some(logic) = rest.get("retryLogic").and_then(Value::as_str) {
            let logic = match logic {
                "FIXED" => Some("fixed"),
                "LINEAR_BACKOFF" => Some("linear"),
                "EXPONENTIAL_BACKOFF" => Some("exponential"),
                _ => None,
            };
            if let Some(logic) = logic {
                retry.push(entry("logic", Yaml::string(logic)));
                rest.remove("retryLogic");
            }
        }
        for (field, key) in [
            ("retryDelaySeconds", "delay"),
            ("maxRetryDelaySeconds", "max_delay"),
        ] {
            if let Some(seconds) = rest.get(field).and_then(Value::as_u64) {
                retry.push(entry(key, Yaml::string(&format!("{seconds}s"))));
                rest.remove(field);
            }
        }
        if let Some(scale) = rest.get("backoffScaleFactor").and_then(Value::as_u64) {
            retry.push(entry("backoff_scale", Yaml::Scalar(scale.into())));
            rest.remove("backoffScaleFactor");
        }
        if let Some(jitter) = rest.get("backoffJitterMs").and_then(Value::as_u64) {
            retry.push(entry("jitter", Yaml::string(&format!("{jitter}ms"))));
            rest.remove("backoffJitterMs");
        }
        if !retry.is_empty() {
            contract.push(entry("retry", Yaml::Map(retry)));
        }
        for (field, key) in [
            ("timeoutSeconds", "timeout"),
            ("totalTimeoutSeconds", "total_timeout"),
            ("responseTimeoutSeconds", "response_timeout"),
            ("pollTimeoutSeconds", "poll_timeout"),
        ] {
            if let Some(seconds) = rest.get(field).and_then(Value::as_u64) {
                if seconds > 0 {
                    contract.push(entry(key, Yaml::string(&format!("{seconds}s"))));
                    rest.remove(field);
                } else if field != "responseTimeoutSeconds" {
                    rest.remove(field);
                }
            }
        }
        if let Some(policy) = rest.get("timeoutPolicy").and_then(Value::as_str) {
            let policy = match policy {
                "RETRY" => Some("retry"),
                "TIME_OUT_WF" => Some("time_out_workflow"),
                "ALERT_ONLY" => Some("alert_only"),
                _ => None,
            };
            if let Some(policy) = policy {
                contract.push(entry("timeout_policy", Yaml::string(policy)));
                rest.remove("timeoutPolicy");
            }
        }
        if let Some(count) = rest.get("rateLimitPerFrequency").and_then(Value::as_u64)
            && count > 0
        {
            let mut limit = vec![entry("count", Yaml::Scalar(count.into()))];
            if let Some(per) = rest
                .get("rateLimitFrequencyInSeconds")
                .and_then(Value::as_u64)
            {
                limit.push(entry("per", Yaml::string(&format!("{}s", per.max(1)))));
                rest.remove("rateLimitFrequencyInSeconds");
            }
            contract.push(entry("rate_limit", Yaml::Map(limit)));
            rest.remove("rateLimitPerFrequency");
        }
        if let Some(limit) = rest.get("concurrentExecLimit").and_then(Value::as_u64) {
            contract.push(entry("concurrency", Yaml::Scalar(limit.into())));
            rest.remove("concurrentExecLimit");
        }
        if let Some(owner) = rest.get("ownerEmail").and_then(Value::as_str)
            && owner.contains('@')
        {
            contract.push(entry("owner", Yaml::string(owner)));
            rest.remove("ownerEmail");
        }
        rest.retain(|_, value| !value.is_null());
        if !rest.is_empty() {
            contract.push(entry("raw", Yaml::from_json(&Value::Object(rest))));
        }
        contracts.push(entry(name, Yaml::Map(contract)));
    }
    let mut text = String::from(
        "# Worker contracts of the imported workflows (generated by `wfc import`): input and\n# output are `any` until you declare their fields.\n",
    );
    write_map(&[entry("workers", Yaml::Map(contracts))], 0, &mut text);
    text
}

// ----- YAML -----------------------------------------------------------------------------------

/// A YAML tree to write: scalars are JSON scalars; mapping entries may carry a comment.
#[derive(Debug, Clone, PartialEq)]
enum Yaml {
    Scalar(Value),
    Seq(Vec<Yaml>),
    /// A sequence of scalars written in flow style (`[a, b]`) when short enough.
    FlowSeq(Vec<Value>),
    Map(Vec<YamlEntry>),
}

#[derive(Debug, Clone, PartialEq)]
struct YamlEntry {
    key: String,
    value: Yaml,
    /// Written at the end of the key's line (`# ...`).
    comment: Option<String>,
}

fn entry(key: &str, value: Yaml) -> YamlEntry {
    YamlEntry {
        key: key.to_string(),
        value,
        comment: None,
    }
}

impl Yaml {
    fn string(text: &str) -> Yaml {
        Yaml::Scalar(Value::String(text.to_string()))
    }

    fn flow_list(items: &[Value]) -> Yaml {
        Yaml::FlowSeq(items.to_vec())
    }

    fn from_json(value: &Value) -> Yaml {
        match value {
            Value::Array(items) => {
                if !items.is_empty()
                    && items.iter().all(|item| match item {
                        Value::String(text) => is_plain_safe(text, true),
                        Value::Number(_) | Value::Bool(_) => true,
                        _ => false,
                    })
                    && items
                        .iter()
                        .map(|item| item.to_string().len() + 2)
                        .sum::<usize>()
                        < 60
                {
                    Yaml::FlowSeq(items.clone())
                } else {
                    Yaml::Seq(items.iter().map(Yaml::from_json).collect())
                }
            }
            Value::Object(entries) => Yaml::Map(
                entries
                    .iter()
                    .map(|(key, value)| entry(key, Yaml::from_json(value)))
                    .collect(),
            ),
            scalar => Yaml::Scalar(scalar.clone()),
        }
    }
}

fn write_map(entries: &[YamlEntry], indent: usize, out: &mut String) {
    for item in entries {
        out.push_str(&" ".repeat(indent));
        write_entry(item, indent, out);
    }
}

/// Writes `key: value` (the indentation of the first line is already written).
fn write_entry(item: &YamlEntry, indent: usize, out: &mut String) {
    out.push_str(&scalar_key(&item.key));
    out.push(':');
    let comment = item
        .comment
        .as_ref()
        .map(|comment| format!("  # {comment}"))
        .unwrap_or_default();
    match &item.value {
        Yaml::Map(entries) if !entries.is_empty() => {
            out.push_str(&comment);
            out.push('\n');
            write_map(entries, indent + 2, out);
        }
        Yaml::Seq(items) if !items.is_empty() => {
            out.push_str(&comment);
            out.push('\n');
            write_seq(items, indent + 2, out);
        }
        Yaml::Scalar(Value::String(text)) if block_literal(text).is_some() => {
            write_block_literal(text, &comment, indent + 2, out);
        }
        value => {
            out.push(' ');
            out.push_str(&inline_value(value));
            out.push_str(&comment);
            out.push('\n');
        }
    }
}

/// ` |` (or `|-`, …), `comment`, then the lines of `text` indented by `indent`.
fn write_block_literal(text: &str, comment: &str, indent: usize, out: &mut String) {
    let (header, body) = block_literal(text).unwrap_or_default();
    out.push(' ');
    out.push_str(&header);
    out.push_str(comment);
    out.push('\n');
    for line in body.split('\n') {
        if !line.is_empty() {
            out.push_str(&" ".repeat(indent));
            out.push_str(line);
        }
        out.push('\n');
    }
}

fn write_seq(items: &[Yaml], indent: usize, out: &mut String) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        match item {
            Yaml::Map(entries) if !entries.is_empty() => {
                out.push(' ');
                for (index, child) in entries.iter().enumerate() {
                    if index > 0 {
                        out.push_str(&" ".repeat(indent + 2));
                    }
                    write_entry(child, indent + 2, out);
                }
            }
            Yaml::Seq(children) if !children.is_empty() => {
                out.push('\n');
                write_seq(children, indent + 2, out);
            }
            Yaml::Scalar(Value::String(text)) if block_literal(text).is_some() => {
                write_block_literal(text, "", indent + 2, out);
            }
            value => {
                out.push(' ');
                out.push_str(&inline_value(value));
                out.push('\n');
            }
        }
    }
}

/// A value written on the key's line: a scalar, `{}`, `[]` or a flow list.
fn inline_value(value: &Yaml) -> String {
    match value {
        Yaml::Scalar(scalar) => scalar_text(scalar, false),
        Yaml::Map(_) => "{}".to_string(),
        Yaml::Seq(_) => "[]".to_string(),
        Yaml::FlowSeq(items) => {
            let texts: Vec<String> = items.iter().map(|item| scalar_text(item, true)).collect();
            format!("[{}]", texts.join(", "))
        }
    }
}

fn scalar_text(value: &Value, flow: bool) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => {
            if is_plain_safe(text, flow) {
                text.clone()
            } else {
                double_quoted(text)
            }
        }
        other => double_quoted(&other.to_string()),
    }
}

fn scalar_key(key: &str) -> String {
    if is_plain_safe(key, true) {
        key.to_string()
    } else {
        double_quoted(key)
    }
}

/// A YAML double-quoted scalar (JSON's escapes are YAML escapes too).
fn double_quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| String::from("\"\""))
}

/// Characters written only escaped: controls, the byte-order mark, and the line and paragraph
/// separators (line breaks for YAML 1.1 readers).
fn is_unsafe_character(character: char) -> bool {
    character.is_control() || matches!(character, '\u{feff}' | '\u{2028}' | '\u{2029}')
}

/// Whether `text` can be written as a plain scalar and read back as the same string.
fn is_plain_safe(text: &str, flow: bool) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    if text.trim() != text
        || text.chars().any(is_unsafe_character)
        || "-?:,[]{}#&*!|>'\"%@`".contains(first)
        || text.contains(": ")
        || text.contains(" #")
        || text.ends_with(':')
        || text.starts_with("---")
        || text.starts_with("...")
        || !matches!(syntax::resolve_plain(text), PlainValue::String)
    {
        return false;
    }
    !(flow && text.contains([',', '[', ']', '{', '}']))
}

/// The header (`|`, `|-`, `|+`) and the lines of a literal block scalar for a multi-line
/// string, or `None` when one cannot hold it exactly.
fn block_literal(text: &str) -> Option<(String, String)> {
    if !text.contains('\n')
        || text
            .chars()
            .any(|c| c != '\n' && c != '\t' && is_unsafe_character(c))
        || text.starts_with([' ', '\t', '\n'])
    {
        return None;
    }
    let trimmed = text.trim_end_matches('\n');
    let trailing = text.len() - trimmed.len();
    if trimmed
        .split('\n')
        .any(|line| !line.is_empty() && line.trim().is_empty())
    {
        return None;
    }
    let header = match trailing {
        0 => "|-",
        1 => "|",
        _ => "|+",
    };
    let mut body = trimmed.to_string();
    body.push_str(&"\n".repeat(trailing.saturating_sub(1)));
    Some((header.to_string(), body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conductor_durations() {
        assert_eq!(parse_conductor_duration("10s"), Some(10_000));
        assert_eq!(
            parse_conductor_duration("1 hour 30 minutes"),
            Some(5_400_000)
        );
        assert_eq!(parse_conductor_duration("2 days"), Some(172_800_000));
        assert_eq!(parse_conductor_duration("soon"), None);
        assert_eq!(wfc_duration(5_400), "1h30m");
        assert_eq!(wfc_duration(0), "0s");
    }

    #[test]
    fn plain_scalars() {
        assert!(is_plain_safe("${workflow.input.x}", false));
        assert!(!is_plain_safe("true", false));
        assert!(!is_plain_safe("12", false));
        assert!(!is_plain_safe("a: b", false));
        assert!(!is_plain_safe("", false));
        assert!(!is_plain_safe("a,b", true));
        assert!(is_plain_safe("a,b", false));
    }

    #[test]
    fn literal_blocks() {
        assert_eq!(
            block_literal("a\nb\n"),
            Some(("|".to_string(), "a\nb".to_string()))
        );
        assert_eq!(
            block_literal("a\nb"),
            Some(("|-".to_string(), "a\nb".to_string()))
        );
        assert_eq!(block_literal(" a\nb"), None);
        assert_eq!(block_literal("one line"), None);
    }
}
