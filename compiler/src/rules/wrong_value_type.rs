//! `WF012` `wrong-value-type`: a value has the wrong YAML type.
//!
//! Each key expects a particular kind of value: a string, a number, a list or a mapping.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF012",
    name: "wrong-value-type",
    default_severity: Severity::Error,
    summary: "a value has the wrong YAML type",
    explanation: r#"Each key expects a particular kind of value: a string, a number, a list or a mapping."#,
    example: r#"workflow: w
version: two"#,
    remedy: r#"Write a value of the expected kind."#,
};
