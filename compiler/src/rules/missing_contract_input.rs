//! `WF037` `missing-contract-input`: a required contract input is not provided.
//!
//! A worker (or sub-workflow) declares this input as required, and the task's `input:` does not give it.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF037",
    name: "missing-contract-input",
    default_severity: Severity::Error,
    summary: "a required contract input is not provided",
    explanation: r#"A worker (or sub-workflow) declares this input as required, and the task's `input:` does not give it."#,
    example: r#"build: {worker: build_firmware, input: {}}"#,
    remedy: r#"Add the input (the quick fix inserts it)."#,
};
