//! `WF032` `unknown-variable`: an expression reads a workflow variable that is never set.
//!
//! `${workflow.variables.NAME}` must be declared under `variables:` or set by a `set:` task.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF032",
    name: "unknown-variable",
    default_severity: Severity::Error,
    summary: "an expression reads a workflow variable that is never set",
    explanation: r#"`${workflow.variables.NAME}` must be declared under `variables:` or set by a `set:` task."#,
    example: r#"input: {x: ${workflow.variables.cnt}}"#,
    remedy: r#"Set the variable or fix the name."#,
};
