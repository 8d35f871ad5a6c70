//! `WF031` `unknown-input`: an expression reads a workflow input that is not declared.
//!
//! Every `${workflow.input.NAME}` must be declared under `inputs:`.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF031",
    name: "unknown-input",
    default_severity: Severity::Error,
    summary: "an expression reads a workflow input that is not declared",
    explanation: r#"Every `${workflow.input.NAME}` must be declared under `inputs:`."#,
    example: r#"input: {x: ${workflow.input.regoin}}"#,
    remedy: r#"Declare the input or fix the name."#,
};
