//! `WF083` `invalid-name`: a workflow or worker name has characters Conductor rejects.
//!
//! Orkes Conductor (and OSS with name validation on) only accepts letters, digits, spaces, `_`, `-` and `<>{}#` in names.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF083",
    name: "invalid-name",
    default_severity: Severity::Error,
    summary: "a workflow or worker name has characters Conductor rejects",
    explanation: r#"Orkes Conductor (and OSS with name validation on) only accepts letters, digits, spaces, `_`, `-` and `<>{}#` in names."#,
    example: r#"workflow: release/firmware"#,
    remedy: r#"Use only the allowed characters."#,
};
