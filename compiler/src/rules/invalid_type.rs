//! `WF015` `invalid-type`: a type expression cannot be parsed.
//!
//! Types are `string`, `int`, `number`, `bool`, `any`, `null`, `list<T>`, `map<T>`, `enum(a, b)`, a named type, an object mapping, and `T?` for optional.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF015",
    name: "invalid-type",
    default_severity: Severity::Error,
    summary: "a type expression cannot be parsed",
    explanation: r#"Types are `string`, `int`, `number`, `bool`, `any`, `null`, `list<T>`, `map<T>`, `enum(a, b)`, a named type, an object mapping, and `T?` for optional."#,
    example: r#"inputs:
  ids: list<string"#,
    remedy: r#"Fix the type expression."#,
};
