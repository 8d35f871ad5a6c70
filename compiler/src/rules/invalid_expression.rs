//! `WF063` `invalid-expression`: a `${...}` expression is malformed.
//!
//! The text between `${` and `}` must be a JSONPath (Jayway syntax) and the braces must balance. Write `$${` for a literal `${`.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF063",
    name: "invalid-expression",
    default_severity: Severity::Error,
    summary: "a `${...}` expression is malformed",
    explanation: r#"The text between `${` and `}` must be a JSONPath (Jayway syntax) and the braces must balance. Write `$${` for a literal `${`."#,
    example: r#"input: {x: "${workflow.input.x"}"#,
    remedy: r#"Close the expression or escape it with `$${`."#,
};
