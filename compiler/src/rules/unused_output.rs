//! `WF051` `unused-output`: a declared value is never read.
//!
//! An output declared in this workflow (the `returns:` of an inline/jq/http task, the `output:` of a human/wait task) or a workflow variable that nothing reads.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF051",
    name: "unused-output",
    default_severity: Severity::Warning,
    summary: "a declared value is never read",
    explanation: r#"An output declared in this workflow (the `returns:` of an inline/jq/http task, the `output:` of a human/wait task) or a workflow variable that nothing reads."#,
    example: r#"review: {human: Review, output: {approved: bool}}"#,
    remedy: r#"Read the value, or drop the declaration."#,
};
