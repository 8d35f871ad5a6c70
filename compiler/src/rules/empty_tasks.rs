//! `WF080` `empty-tasks`: a task list is empty.
//!
//! Conductor rejects a workflow without tasks ("WorkflowTask list cannot be empty"), a switch without cases ("decisionCases should have atleast one task"), a fork without branches, a loop without body ("loopOver field is required").

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF080",
    name: "empty-tasks",
    default_severity: Severity::Error,
    summary: "a task list is empty",
    explanation: r#"Conductor rejects a workflow without tasks ("WorkflowTask list cannot be empty"), a switch without cases ("decisionCases should have atleast one task"), a fork without branches, a loop without body ("loopOver field is required")."#,
    example: r#"tasks: {}"#,
    remedy: r#"Add at least one task."#,
};
