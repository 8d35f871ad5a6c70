//! `WF036` `type-mismatch`: a value's type does not match the expected type.
//!
//! The type of an argument (a literal or the inferred type of a `${...}` expression) is not assignable to the type the contract declares.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF036",
    name: "type-mismatch",
    default_severity: Severity::Error,
    summary: "a value's type does not match the expected type",
    explanation: r#"The type of an argument (a literal or the inferred type of a `${...}` expression) is not assignable to the type the contract declares."#,
    example: r#"input: {count: ${workflow.input.name}}  # string, expected int"#,
    remedy: r#"Pass a value of the expected type."#,
};
