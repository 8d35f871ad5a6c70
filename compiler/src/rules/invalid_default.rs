//! `WF017` `invalid-default`: a default value does not match its type.
//!
//! A field's `default:` must itself have the field's type, otherwise the workflow would start with ill-typed input.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF017",
    name: "invalid-default",
    default_severity: Severity::Error,
    summary: "a default value does not match its type",
    explanation: r#"A field's `default:` must itself have the field's type, otherwise the workflow would start with ill-typed input."#,
    example: r#"inputs:
  count: {type: int, default: many}"#,
    remedy: r#"Give a default of the declared type."#,
};
