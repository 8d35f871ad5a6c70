//! `WF030` `unknown-task-reference`: an expression names a task that does not exist.
//!
//! `${ref.output...}` must name a task of this workflow; Conductor would resolve it to `null` at run time (or reject the definition).

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF030",
    name: "unknown-task-reference",
    default_severity: Severity::Error,
    summary: "an expression names a task that does not exist",
    explanation: r#"`${ref.output...}` must name a task of this workflow; Conductor would resolve it to `null` at run time (or reject the definition)."#,
    example: r#"input: {x: ${biuld.output.id}}"#,
    remedy: r#"Fix the reference (the help names the closest task)."#,
};
