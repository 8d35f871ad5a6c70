//! `WF060` `terminate-status`: a terminate status is not a literal COMPLETED, FAILED or TERMINATED.
//!
//! Conductor checks `terminationStatus` at registration with `toString()`, so an expression is rejected: "terminate task must have an terminationStatus parameter and must be set to COMPLETED or FAILED". A terminate task also cannot be optional.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF060",
    name: "terminate-status",
    default_severity: Severity::Error,
    summary: "a terminate status is not a literal COMPLETED, FAILED or TERMINATED",
    explanation: r#"Conductor checks `terminationStatus` at registration with `toString()`, so an expression is rejected: "terminate task must have an terminationStatus parameter and must be set to COMPLETED or FAILED". A terminate task also cannot be optional."#,
    example: r#"stop: {terminate: ${workflow.input.status}}"#,
    remedy: r#"Use one switch case per status."#,
};
