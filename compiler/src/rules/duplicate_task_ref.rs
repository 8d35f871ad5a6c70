//! `WF020` `duplicate-task-ref`: two tasks have the same reference name.
//!
//! Conductor requires every `taskReferenceName` to be unique across the whole workflow, including tasks nested in switches, forks and loops ("taskReferenceName: %s should be unique across tasks for a given workflowDefinition").

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF020",
    name: "duplicate-task-ref",
    default_severity: Severity::Error,
    summary: "two tasks have the same reference name",
    explanation: r#"Conductor requires every `taskReferenceName` to be unique across the whole workflow, including tasks nested in switches, forks and loops ("taskReferenceName: %s should be unique across tasks for a given workflowDefinition")."#,
    example: r#"tasks:
  a: {noop: true}
  s:
    switch: ${workflow.input.x}
    cases:
      x:
        a: {noop: true}"#,
    remedy: r#"Rename one of the tasks (and its uses)."#,
};
