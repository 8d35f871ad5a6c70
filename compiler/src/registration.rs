//! Conductor's registration-time rules (FORMAT.md §C) for tasks written as raw Conductor JSON.
//!
//! Tasks written with wfc's own kinds cannot break these rules by construction (the lowering
//! demands the same fields); a `raw:` task can, so it is checked here with the server's exact
//! messages, walking nested tasks the way the server's bean validation does (switch cases,
//! forks; not loop bodies — Conductor does not validate those at registration either, but we
//! do, since they fail at run time).

use crate::diagnostic::{Diagnostic, Span};
use crate::rules;
use crate::source::FileId;
use crate::syntax::{Node, NodeKind};

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
