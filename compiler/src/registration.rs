//! Conductor's registration-time rules (FORMAT.md §C) for tasks written as raw Conductor JSON.
//!
//! Tasks written with wfc's own kinds cannot break these rules by construction (the lowering
//! demands the same fields); a `raw:` task can, so it is checked here with the server's exact
//! messages, walking nested tasks the way the server's bean validation does (switch cases,
//! forks; not loop bodies — Conductor does not validate those at registration either, but we
//! do, since they fail at run time).

use std::collections::HashMap;

use serde_json::Value;

use crate::diagnostic::{Diagnostic, Severity, Span};
use crate::import;
use crate::rules;
use crate::source::FileId;
use crate::syntax::{self, Node, NodeKind};

/// Checks one raw task of Conductor type `task_type` named `name`. `input` is the task's
/// `input:`, which the emitted task has in its `inputParameters` under the raw ones.
pub fn check_raw_task(
    task_type: &str,
    name: &str,
    fields: &Node,
    input: Option<&Node>,
    file: FileId,
    diagnostics: &mut Vec<Diagnostic>,
) {
    // Nested tasks have their names checked below; a top-level raw task may leave its name to
    // wfc, but not write an empty one.
    if let Some(explicit) = fields.get("name")
        && explicit.as_str().is_some_and(str::is_empty)
    {
        diagnostics.push(
            Diagnostic::new(
                &rules::conductor_registration::RULE,
                file,
                explicit.span,
                "Conductor would reject this task",
            )
            .with_label("WorkflowTask name cannot be empty or null")
            .with_help("give the task a name, or leave `name` out"),
        );
    }
    let mut pending: Vec<(String, String, &Node, Option<&Node>)> =
        vec![(task_type.to_string(), name.to_string(), fields, input)];
    while let Some((task_type, name, fields, outer_input)) = pending.pop() {
        let mut report = |span: Span, message: String| {
            let help = if message.contains("required") || message.contains("atleast") {
                "add the missing field, or write the task with a wfc kind key"
            } else {
                "change the raw task as the server says, or write it with a wfc kind key"
            };
            diagnostics.push(
                Diagnostic::new(
                    &rules::conductor_registration::RULE,
                    file,
                    span,
                    "Conductor would reject this task",
                )
                .with_label(message)
                .with_help(help),
            );
        };
        let raw_input = fields.get("inputParameters");
        let input_field = |key: &str| {
            raw_input
                .and_then(|input| input.get(key))
                .or_else(|| outer_input.and_then(|input| input.get(key)))
        };
        let has_input = |key: &str| input_field(key).is_some_and(|value| !value.is_null());
        let has = |key: &str| fields.get(key).is_some_and(|value| !value.is_null());
        let non_empty = |key: &str| match fields.get(key).map(|value| &value.kind) {
            Some(NodeKind::Sequence(items)) => !items.is_empty(),
            Some(NodeKind::Mapping(entries)) => !entries.is_empty(),
            _ => false,
        };
        // Point at the task type (what the rule is about), or at the offending field.
        let span = fields.get("type").map_or(fields.span, |value| value.span);
        let span_of = |key: &str| fields.get(key).map_or(span, |value| value.span);
        let required = |field: &str| {
            format!("{field} field is required for taskType: {task_type} taskName: {name}")
        };
        if let Some(delay) = fields.get("startDelay")
            && integer(delay).is_some_and(|delay| delay < 0)
        {
            report(delay.span, "must be greater than or equal to 0".to_string());
        }
        match task_type.as_str() {
            "SWITCH" => {
                if !has("evaluatorType") {
                    report(span, required("evaluatorType"));
                } else if !has("expression") {
                    report(span, required("expression"));
                }
                if !non_empty("decisionCases") {
                    report(
                        span_of("decisionCases"),
                        format!(
                            "decisionCases should have atleast one task for taskType: SWITCH taskName: {name}"
                        ),
                    );
                }
            }
            "DECISION" => {
                if !has("caseValueParam") && !has("caseExpression") {
                    report(
                        span,
                        format!(
                            "caseValueParam or caseExpression field is required for taskType: DECISION taskName: {name}"
                        ),
                    );
                }
                if !non_empty("decisionCases") {
                    report(
                        span_of("decisionCases"),
                        format!(
                            "decisionCases should have atleast one task for taskType: DECISION taskName: {name}"
                        ),
                    );
                }
            }
            "FORK_JOIN" if !non_empty("forkTasks") => {
                report(
                    span_of("forkTasks"),
                    format!(
                        "forkTasks should have atleast one task for taskType: FORK_JOIN taskName: {name}"
                    ),
                );
            }
            "FORK_JOIN_DYNAMIC" => {
                let modern = has_input("forkTaskInputs");
                let legacy = has("dynamicForkJoinTasksParam");
                let pair = (
                    has("dynamicForkTasksParam"),
                    has("dynamicForkTasksInputParamName"),
                );
                if !modern {
                    if legacy && (pair.0 || pair.1) {
                        report(
                            span,
                            format!(
                                "dynamicForkJoinTasksParam or combination of dynamicForkTasksInputParamName and dynamicForkTasksParam cam be used for taskType: FORK_JOIN_DYNAMIC taskName: {name}"
                            ),
                        );
                    } else if !legacy {
                        if !pair.0 {
                            report(span, required("dynamicForkTasksParam"));
                        }
                        if !pair.1 {
                            report(span, required("dynamicForkTasksInputParamName"));
                        }
                    }
                }
            }
            "DO_WHILE" => {
                if !has("loopCondition") {
                    report(span, required("loopCondition"));
                }
                if !non_empty("loopOver") {
                    report(span_of("loopOver"), required("loopOver"));
                }
            }
            "DYNAMIC" if !has("dynamicTaskNameParam") => {
                report(span, required("dynamicTaskNameParam"))
            }
            "SUB_WORKFLOW" if !has("subWorkflowParam") => {
                report(span, required("subWorkflowParam"))
            }
            "EVENT" if !has("sink") => report(span, required("sink")),
            "KAFKA_PUBLISH" if !has_input("kafka_request") => report(
                span,
                format!(
                    "inputParameters.kafka_request field is required for taskType: KAFKA_PUBLISH taskName: {name}"
                ),
            ),
            "JSON_JQ_TRANSFORM" if !has_input("queryExpression") => report(
                span,
                format!(
                    "inputParameters.queryExpression field is required for taskType: JSON_JQ_TRANSFORM taskName: {name}"
                ),
            ),
            "HTTP" if !has_input("http_request") && !has_input("uri") => report(
                span,
                format!(
                    "inputParameters.http_request or inputParameters.uri field is required for taskType: HTTP taskName: {name}"
                ),
            ),
            "TERMINATE" => {
                let status_node = input_field("terminationStatus");
                let status = status_node.and_then(Node::as_str);
                if !matches!(status, Some("COMPLETED" | "FAILED" | "TERMINATED")) {
                    report(
                        status_node.map_or(span, |node| node.span),
                        format!(
                            "terminate task must have an terminationStatus parameter and must be set to COMPLETED or FAILED, taskName: {name}"
                        ),
                    );
                }
                if fields.get("optional").and_then(Node::as_str) == Some("true") {
                    report(
                        span_of("optional"),
                        format!("terminate task cannot be optional, taskName: {name}"),
                    );
                }
            }
            "WAIT" => {
                let blank = |key: &str| {
                    input_field(key)
                        .and_then(Node::as_str)
                        .is_none_or(|text| text.trim().is_empty())
                };
                if !blank("duration") && !blank("until") {
                    report(
                        input_field("until").map_or(span, |node| node.span),
                        "Both 'duration' and 'until' specified. Please provide only one input"
                            .to_string(),
                    );
                }
            }
            _ => {}
        }
        // Nested tasks: cases, default, forks, loop bodies.
        let mut nested: Vec<&Node> = Vec::new();
        if let Some(cases) = fields.get("decisionCases").and_then(Node::as_mapping) {
            for entry in cases {
                nested.extend(entry.value.as_sequence().unwrap_or(&[]));
            }
        }
        for key in ["defaultCase", "loopOver"] {
            nested.extend(fields.get(key).and_then(Node::as_sequence).unwrap_or(&[]));
        }
        if let Some(branches) = fields.get("forkTasks").and_then(Node::as_sequence) {
            for branch in branches {
                nested.extend(branch.as_sequence().unwrap_or(&[]));
            }
        }
        for task in nested {
            let nested_type = task
                .get("type")
                .and_then(Node::as_str)
                .unwrap_or("SIMPLE")
                .to_string();
            let nested_name = task
                .get("name")
                .and_then(Node::as_str)
                .unwrap_or_default()
                .to_string();
            if task
                .get("taskReferenceName")
                .and_then(Node::as_str)
                .is_none_or(str::is_empty)
            {
                diagnostics.push(
                    Diagnostic::new(
                        &rules::conductor_registration::RULE,
                        file,
                        task.span,
                        "Conductor would reject this task",
                    )
                    .with_label("WorkflowTask taskReferenceName name cannot be empty or null")
                    .with_help("every nested task needs `name` and `taskReferenceName`"),
                );
            }
            if nested_name.is_empty() {
                diagnostics.push(
                    Diagnostic::new(
                        &rules::conductor_registration::RULE,
                        file,
                        task.span,
                        "Conductor would reject this task",
                    )
                    .with_label("WorkflowTask name cannot be empty or null")
                    .with_help("every nested task needs `name` and `taskReferenceName`"),
                );
            }
            pending.push((nested_type, nested_name, task, None));
        }
    }
}

/// The integer a scalar holds (`5`, `"5"`: Conductor's binding coerces numeric strings).
fn integer(node: &Node) -> Option<i64> {
    node.as_str()?.trim().parse::<i64>().ok()
}

/// The field constraints of Conductor's `TaskDef` (FORMAT.md §B.4) on the raw fields of a worker
/// contract (`raw:`), which go into its TaskDef unchecked by the contract's own keys.
pub fn check_raw_task_def(raw: &Node, file: FileId, diagnostics: &mut Vec<Diagnostic>) {
    const MINIMUMS: [(&str, i64, &str); 7] = [
        ("retryCount", 0, "TaskDef retryCount: 0 must be >= 0"),
        (
            "pollTimeoutSeconds",
            0,
            "TaskDef pollTimeoutSeconds: 0 must be >= 0",
        ),
        (
            "backoffScaleFactor",
            1,
            "Backoff scale factor. Applicable for LINEAR_BACKOFF",
        ),
        (
            "maxRetryDelaySeconds",
            0,
            "TaskDef maxRetryDelaySeconds: 0 must be >= 0",
        ),
        (
            "backoffJitterMs",
            0,
            "TaskDef backoffJitterMs: 0 must be >= 0",
        ),
        (
            "totalTimeoutSeconds",
            0,
            "TaskDef totalTimeoutSeconds: 0 must be >= 0",
        ),
        ("responseTimeoutSeconds", 1, ""),
    ];
    for (field, minimum, message) in MINIMUMS {
        let Some(node) = raw.get(field) else {
            continue;
        };
        let Some(value) = integer(node) else {
            continue;
        };
        if value >= minimum {
            continue;
        }
        let message = if message.is_empty() {
            format!("TaskDef responseTimeoutSeconds: {value} should be minimum 1 second")
        } else {
            message.to_string()
        };
        diagnostics.push(
            Diagnostic::new(
                &rules::conductor_registration::RULE,
                file,
                node.span,
                "Conductor would reject this task definition",
            )
            .with_label(message)
            .with_help(format!("`{field}` must be at least {minimum}")),
        );
    }
}

/// The field constraints of Conductor's `WorkflowDef` (FORMAT.md §B.1, §C.3) on a workflow's raw
/// fields (`raw:` at the top of a workflow file).
pub fn check_raw_workflow_def(raw: &Node, file: FileId, diagnostics: &mut Vec<Diagnostic>) {
    if let Some(node) = raw.get("schemaVersion")
        && integer(node) != Some(2)
    {
        diagnostics.push(
            Diagnostic::new(
                &rules::conductor_registration::RULE,
                file,
                node.span,
                "Conductor would reject this workflow",
            )
            .with_label("workflowDef schemaVersion: 2 is only supported")
            .with_help("leave `schemaVersion` out: wfc writes 2"),
        );
    }
}

// ----- definitions given as Conductor JSON --------------------------------------------------

/// One violation of Conductor's registration rules in a definition given as JSON, as the
/// server reports it in an `ErrorResponse`'s `validationErrors`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Violation {
    /// The property path below the definition, as the server's bean validation writes it: `""`
    /// for rules about the whole definition (reference uniqueness, input references), `tasks`
    /// for the task list, `tasks[2]` or `tasks[0].decisionCases[a][1]` for a task, a field name
    /// (`retryCount`) for a TaskDef field.
    pub path: String,
    pub message: String,
}

/// The file name a definition is imported under for judging it.
const JUDGED_FILE: &str = "definition.json";

/// Judges a WorkflowDef given as JSON the way Conductor's registration does
/// (`POST /api/metadata/workflow/validate`), with wfc's own checks and no second validator: the
/// definition is imported as `wfc import` would, the generated files are analysed, and the
/// findings that are Conductor registration rules (FORMAT.md §C: type rules, unique reference
/// names, a non-empty task list, references in top-level inputs) become violations with the
/// server's messages. wfc's stricter findings (no owner, unknown fields, …) are left out, since
/// the server accepts such definitions.
pub fn workflow_def_violations(definition: &Value) -> Vec<Violation> {
    let imported = import::generate(&[import::ImportInput {
        name: JUDGED_FILE.to_string(),
        value: definition.clone(),
    }]);
    if !imported.problems.is_empty() {
        return imported
            .problems
            .into_iter()
            .map(|problem| Violation {
                path: String::new(),
                message: problem.message,
            })
            .collect();
    }
    let Some(generated) = imported
        .files
        .iter()
        .find(|file| file.name.ends_with(".wf.yaml"))
    else {
        return vec![Violation {
            path: String::new(),
            message: "not a WorkflowDef (an object with `name` and `tasks`)".to_string(),
        }];
    };
    let analysis = import::analyze_generated(&imported.files);
    let Some(file) = analysis.sources.find(&generated.name) else {
        return Vec::new();
    };
    let text = analysis.sources.text(file);
    let parsed = syntax::parse(file, text);
    let tasks = JsonTasks::of(definition);
    let workflow_name = definition
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut violations = Vec::new();
    for diagnostic in analysis.diagnostics_of(file) {
        if diagnostic.severity != Severity::Error {
            continue;
        }
        let offset = diagnostic.span.start as usize;
        let chain = parsed
            .root
            .as_ref()
            .map(|root| ancestry(root, offset))
            .unwrap_or_default();
        let task = tasks.enclosing(&chain);
        let code = diagnostic.code;
        if code == rules::conductor_registration::RULE.code {
            // A task's rule has the task's path; a workflow field's (`raw: {schemaVersion: 1}`)
            // the field's.
            let field = || match (chain.get(1), chain.get(2)) {
                (Some((Some("raw"), _)), Some((Some(field), _))) => (*field).to_string(),
                _ => String::new(),
            };
            violations.push(Violation {
                path: task.map_or_else(field, |task| task.path.clone()),
                message: diagnostic.label.clone().unwrap_or_default(),
            });
        } else if code == rules::duplicate_task_ref::RULE.code {
            let reference = quoted(&diagnostic.message, "duplicate task reference `");
            violations.push(Violation {
                path: String::new(),
                message: format!(
                    "taskReferenceName: {reference} should be unique across tasks for a given workflowDefinition: {workflow_name}"
                ),
            });
        } else if code == rules::empty_tasks::RULE.code {
            violations.push(Violation {
                path: "tasks".to_string(),
                message: "WorkflowTask list cannot be empty".to_string(),
            });
        } else if code == rules::invalid_task_reference_name::RULE.code
            && diagnostic.message == "invalid task reference name ``"
        {
            violations.push(Violation {
                path: task.map(|task| task.path.clone()).unwrap_or_default(),
                message: "WorkflowTask taskReferenceName name cannot be empty or null".to_string(),
            });
        } else if code == rules::unknown_task_reference::RULE.code
            && let Some(task) = task
            && task.top_level
            && in_input_parameters(&chain)
        {
            // Conductor checks the references of top-level tasks' inputs only (§C.2).
            let root = text
                .get(diagnostic.span.range())
                .unwrap_or_default()
                .to_string();
            let (key, value) = input_key_and_value(&chain);
            violations.push(Violation {
                path: String::new(),
                message: format!(
                    "taskReferenceName: {root} for given task: {} input value: {key} of input parameter: {value} is not defined in workflow definition.",
                    task.name
                ),
            });
        }
    }
    violations.sort();
    violations.dedup();
    violations
}

/// Judges a TaskDef given as JSON the way `POST /api/metadata/taskdefs` does: imported as a
/// worker contract and analysed; the contract findings that are Conductor's TaskDef constraints
/// (FORMAT.md §B.4) become violations with the server's messages.
pub fn task_def_violations(definition: &Value) -> Vec<Violation> {
    let name = definition
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if name.is_empty() {
        return vec![Violation {
            path: "name".to_string(),
            message: "TaskDef name cannot be null or empty".to_string(),
        }];
    }
    let imported = import::generate(&[import::ImportInput {
        name: JUDGED_FILE.to_string(),
        value: definition.clone(),
    }]);
    if !imported.problems.is_empty() {
        return imported
            .problems
            .into_iter()
            .map(|problem| Violation {
                path: String::new(),
                message: problem.message,
            })
            .collect();
    }
    let analysis = import::analyze_generated(&imported.files);
    let Some(file) = analysis.sources.find(import::CONTRACTS_FILE) else {
        return Vec::new();
    };
    let seconds = |field: &str, default: i64| {
        definition
            .get(field)
            .and_then(Value::as_i64)
            .unwrap_or(default)
    };
    let mut violations = Vec::new();
    for diagnostic in analysis.diagnostics_of(file) {
        if diagnostic.severity != Severity::Error {
            continue;
        }
        let code = diagnostic.code;
        let message = diagnostic.message.as_str();
        let violation = if code == rules::conductor_registration::RULE.code {
            let field = diagnostic
                .help
                .as_deref()
                .map(|help| quoted(help, "`"))
                .unwrap_or_default();
            Some((field, diagnostic.label.clone().unwrap_or_default()))
        } else if code == rules::task_timeouts::RULE.code {
            let timeout = seconds("timeoutSeconds", 0);
            let response = seconds("responseTimeoutSeconds", 3600);
            if message.starts_with("response timeout") {
                // The contract's view misses a raw `responseTimeoutSeconds` the TaskDef keeps
                // (an invalid 0 stays raw): the message quotes the definition's own numbers,
                // and there is nothing to say when those are in order.
                (response > timeout).then(|| {
                    (
                        String::new(),
                        format!(
                            "TaskDef: {name} responseTimeoutSeconds: {response} must be less than timeoutSeconds: {timeout}"
                        ),
                    )
                })
            } else {
                Some((
                    String::new(),
                    format!(
                        "TaskDef: {name} timeoutSeconds: {timeout} must be less than or equal to totalTimeoutSeconds: {}",
                        seconds("totalTimeoutSeconds", 0)
                    ),
                ))
            }
        } else if code == rules::value_out_of_range::RULE.code {
            if message.starts_with("`retry.count`") {
                Some((
                    "retryCount".to_string(),
                    "TaskDef retryCount: 0 must be >= 0".to_string(),
                ))
            } else if message.starts_with("`retry.backoff_scale`") {
                Some((
                    "backoffScaleFactor".to_string(),
                    "Backoff scale factor. Applicable for LINEAR_BACKOFF".to_string(),
                ))
            } else if message.starts_with("`response_timeout`") {
                Some((
                    "responseTimeoutSeconds".to_string(),
                    format!(
                        "TaskDef responseTimeoutSeconds: {} should be minimum 1 second",
                        seconds("responseTimeoutSeconds", 3600)
                    ),
                ))
            } else {
                None
            }
        } else {
            None
        };
        if let Some((path, message)) = violation {
            violations.push(Violation { path, message });
        }
    }
    violations.sort();
    violations.dedup();
    violations
}

/// The text between `prefix` and the next backtick.
fn quoted(text: &str, prefix: &str) -> String {
    text.strip_prefix(prefix)
        .and_then(|rest| rest.split('`').next())
        .unwrap_or_default()
        .to_string()
}

/// One task of a WorkflowDef given as JSON.
#[derive(Debug, Clone)]
struct JsonTask {
    /// `tasks[0]`, `tasks[1].forkTasks[0][2]`, …
    path: String,
    name: String,
    top_level: bool,
}

/// The tasks of a WorkflowDef given as JSON by reference name (the first of a name).
struct JsonTasks(HashMap<String, JsonTask>);

impl JsonTasks {
    fn of(definition: &Value) -> JsonTasks {
        let mut tasks = HashMap::new();
        let mut pending: Vec<(String, &Value, bool)> = Vec::new();
        if let Some(Value::Array(items)) = definition.get("tasks") {
            for (index, task) in items.iter().enumerate() {
                pending.push((format!("tasks[{index}]"), task, true));
            }
        }
        while let Some((path, task, top_level)) = pending.pop() {
            let Some(object) = task.as_object() else {
                continue;
            };
            if let Some(reference) = object.get("taskReferenceName").and_then(Value::as_str) {
                tasks
                    .entry(reference.to_string())
                    .or_insert_with(|| JsonTask {
                        path: path.clone(),
                        name: object
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        top_level,
                    });
            }
            if let Some(Value::Object(cases)) = object.get("decisionCases") {
                for (case, items) in cases {
                    push_tasks(&mut pending, format!("{path}.decisionCases[{case}]"), items);
                }
            }
            for key in ["defaultCase", "loopOver"] {
                if let Some(items) = object.get(key) {
                    push_tasks(&mut pending, format!("{path}.{key}"), items);
                }
            }
            if let Some(Value::Array(branches)) = object.get("forkTasks") {
                for (branch, items) in branches.iter().enumerate() {
                    push_tasks(&mut pending, format!("{path}.forkTasks[{branch}]"), items);
                }
            }
        }
        JsonTasks(tasks)
    }

    /// The task whose generated YAML encloses the innermost node of `chain`: an entry keyed by
    /// its reference name (a wfc task), or a raw JSON object naming it in `taskReferenceName`.
    fn enclosing(&self, chain: &[(Option<&str>, &Node)]) -> Option<&JsonTask> {
        chain.iter().rev().find_map(|(key, node)| {
            node.as_mapping()?;
            let by_key = key.and_then(|key| self.0.get(key));
            let by_field = node
                .get("taskReferenceName")
                .and_then(Node::as_str)
                .and_then(|reference| self.0.get(reference));
            by_field.or(by_key)
        })
    }
}

/// Queues the tasks of a nested list (`PATH[0]`, `PATH[1]`, …).
fn push_tasks<'v>(pending: &mut Vec<(String, &'v Value, bool)>, path: String, items: &'v Value) {
    if let Value::Array(items) = items {
        for (index, item) in items.iter().enumerate() {
            pending.push((format!("{path}[{index}]"), item, false));
        }
    }
}

/// The nodes from `root` down to the innermost one containing `offset`, each with the mapping
/// key it is the value of.
fn ancestry(root: &Node, offset: usize) -> Vec<(Option<&str>, &Node)> {
    let mut chain = vec![(None, root)];
    let mut current = root;
    loop {
        let next = match &current.kind {
            NodeKind::Mapping(entries) => entries
                .iter()
                .find(|entry| entry.key.span.cover(entry.value.span).contains(offset))
                .map(|entry| (entry.key.as_str(), &entry.value)),
            NodeKind::Sequence(items) => items
                .iter()
                .find(|item| item.span.contains(offset))
                .map(|item| (None, item)),
            NodeKind::Scalar(_) => None,
        };
        match next {
            Some((key, node)) => {
                chain.push((key, node));
                current = node;
            }
            None => return chain,
        }
    }
}

/// Whether the innermost node of `chain` is in the input of a top-level task of the generated
/// workflow (`tasks: {REF: {input: …}}`, or `inputParameters` of its raw JSON), not in another
/// field.
fn in_input_parameters(chain: &[(Option<&str>, &Node)]) -> bool {
    let key = |index: usize| chain.get(index).and_then(|(key, _)| *key);
    key(1) == Some("tasks")
        && match key(3) {
            Some("input") => true,
            Some("raw") => key(4) == Some("inputParameters"),
            _ => false,
        }
}

/// The input parameter key and full string value that hold the innermost node of `chain`.
fn input_key_and_value(chain: &[(Option<&str>, &Node)]) -> (String, String) {
    let value = chain
        .last()
        .and_then(|(_, node)| node.as_str())
        .unwrap_or_default()
        .to_string();
    let key = chain
        .iter()
        .rev()
        .find_map(|(key, _)| *key)
        .unwrap_or_default()
        .to_string();
    (key, value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn messages(violations: &[Violation]) -> Vec<(String, String)> {
        violations
            .iter()
            .map(|violation| (violation.path.clone(), violation.message.clone()))
            .collect()
    }

    #[test]
    fn a_valid_definition_has_no_violations() {
        let definition = json!({
            "name": "ok", "version": 1,
            "tasks": [
                {"name": "a", "taskReferenceName": "a", "type": "SIMPLE",
                 "inputParameters": {"x": "${workflow.input.x}"}},
                {"name": "b", "taskReferenceName": "b", "type": "SIMPLE",
                 "inputParameters": {"y": "${a.output.y}"}}
            ]
        });
        assert_eq!(workflow_def_violations(&definition), Vec::new());
    }

    #[test]
    fn registration_rules_with_the_servers_messages_and_paths() {
        let definition = json!({
            "name": "bad_flow", "ownerEmail": "a@b.c",
            "tasks": [
                {"name": "route", "taskReferenceName": "route", "type": "SWITCH",
                 "decisionCases": {"a": [
                     {"name": "w", "taskReferenceName": "w", "type": "SIMPLE"},
                     {"name": "nested", "taskReferenceName": "nested", "type": "SUB_WORKFLOW"}
                 ]}},
                {"name": "t", "taskReferenceName": "t", "type": "TERMINATE",
                 "inputParameters": {"terminationStatus": "${workflow.input.s}"}},
                {"name": "x", "taskReferenceName": "x", "type": "SIMPLE",
                 "inputParameters": {"a": "${nope.output.a}", "deep": {"k": "${gone.output}"}}},
                {"name": "dup", "taskReferenceName": "w", "type": "SIMPLE", "startDelay": -1}
            ]
        });
        assert_eq!(
            messages(&workflow_def_violations(&definition)),
            vec![
                (String::new(), "taskReferenceName: gone for given task: x input value: k of input parameter: ${gone.output} is not defined in workflow definition.".to_string()),
                (String::new(), "taskReferenceName: nope for given task: x input value: a of input parameter: ${nope.output.a} is not defined in workflow definition.".to_string()),
                (String::new(), "taskReferenceName: w should be unique across tasks for a given workflowDefinition: bad_flow".to_string()),
                ("tasks[0]".to_string(), "evaluatorType field is required for taskType: SWITCH taskName: route".to_string()),
                ("tasks[0].decisionCases[a][1]".to_string(), "subWorkflowParam field is required for taskType: SUB_WORKFLOW taskName: nested".to_string()),
                ("tasks[1]".to_string(), "terminate task must have an terminationStatus parameter and must be set to COMPLETED or FAILED, taskName: t".to_string()),
            ]
        );
    }

    #[test]
    fn nested_references_are_not_checked_at_registration() {
        let definition = json!({
            "name": "nested",
            "tasks": [
                {"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN",
                 "forkTasks": [[{"name": "a", "taskReferenceName": "a",
                                 "inputParameters": {"x": "${missing.output}"}}],
                               [{"name": "b", "taskReferenceName": "b"}]]},
                {"name": "join", "taskReferenceName": "join", "type": "JOIN", "joinOn": ["a", "b"]}
            ]
        });
        assert_eq!(workflow_def_violations(&definition), Vec::new());
    }

    #[test]
    fn empty_and_nameless_definitions() {
        assert_eq!(
            messages(&workflow_def_violations(
                &json!({"name": "empty", "tasks": []})
            )),
            vec![(
                "tasks".to_string(),
                "WorkflowTask list cannot be empty".to_string()
            )]
        );
        assert_eq!(
            messages(&workflow_def_violations(&json!({
                "name": "old", "schemaVersion": 1,
                "tasks": [{"name": "a", "taskReferenceName": "a"}]
            }))),
            vec![(
                "schemaVersion".to_string(),
                "workflowDef schemaVersion: 2 is only supported".to_string()
            )]
        );
        assert_eq!(
            workflow_def_violations(&json!({"tasks": []})).len(),
            1,
            "a definition without a name is refused"
        );
    }

    #[test]
    fn task_def_constraints() {
        assert_eq!(
            messages(&task_def_violations(
                &json!({"name": "ok", "retryCount": 2})
            )),
            Vec::new()
        );
        assert_eq!(
            messages(&task_def_violations(&json!({
                "name": "t", "retryCount": -1, "responseTimeoutSeconds": 0,
                "timeoutSeconds": 10, "totalTimeoutSeconds": 5, "backoffScaleFactor": 0
            }))),
            vec![
                (String::new(), "TaskDef: t timeoutSeconds: 10 must be less than or equal to totalTimeoutSeconds: 5".to_string()),
                ("backoffScaleFactor".to_string(), "Backoff scale factor. Applicable for LINEAR_BACKOFF".to_string()),
                ("responseTimeoutSeconds".to_string(), "TaskDef responseTimeoutSeconds: 0 should be minimum 1 second".to_string()),
                ("retryCount".to_string(), "TaskDef retryCount: 0 must be >= 0".to_string()),
            ]
        );
        assert_eq!(
            messages(&task_def_violations(&json!({"name": "", "retryCount": 1}))),
            vec![(
                "name".to_string(),
                "TaskDef name cannot be null or empty".to_string()
            )]
        );
    }
}
