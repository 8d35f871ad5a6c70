//! `WF035` `optional-value`: an optional value is used where a required one is expected.
//!
//! A value that may be absent (an optional field, or the output of a task inside a switch case) is passed where the contract requires a value.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF035",
    name: "optional-value",
    default_severity: Severity::Error,
    summary: "an optional value is used where a required one is expected",
    explanation: r#"A value that may be absent (an optional field, or the output of a task inside a switch case) is passed where the contract requires a value."#,
    example: r#"input: {id: ${maybe_task.output.id}}"#,
    remedy: r#"Give the field a default, make the contract input optional, or read a value that is always present."#,
};
