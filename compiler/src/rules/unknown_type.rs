//! `WF016` `unknown-type`: a named type is not declared.
//!
//! A type name must be a built-in type or declared under `types:` in this file or an imported contract file.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF016",
    name: "unknown-type",
    default_severity: Severity::Error,
    summary: "a named type is not declared",
    explanation: r#"A type name must be a built-in type or declared under `types:` in this file or an imported contract file."#,
    example: r#"inputs:
  device: Devise"#,
    remedy: r#"Declare the type, import the file that declares it, or fix the spelling."#,
};
