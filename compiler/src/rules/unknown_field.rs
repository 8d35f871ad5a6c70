//! `WF033` `unknown-field`: an expression reads a field its value does not have.
//!
//! The path after the root is followed through the declared types: a worker contract's output, an HTTP response, an input object. A field that the type does not declare would be `null` at run time.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF033",
    name: "unknown-field",
    default_severity: Severity::Error,
    summary: "an expression reads a field its value does not have",
    explanation: r#"The path after the root is followed through the declared types: a worker contract's output, an HTTP response, an input object. A field that the type does not declare would be `null` at run time."#,
    example: r#"input: {x: ${build.output.artifcat}}"#,
    remedy: r#"Fix the field name (the help names the closest one), or declare the field in the contract."#,
};
