//! `WF050` `unused-input`: a workflow input is never read.
//!
//! An input declared under `inputs:` that no expression reads is either dead or a sign of a typo elsewhere.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF050",
    name: "unused-input",
    default_severity: Severity::Warning,
    summary: "a workflow input is never read",
    explanation: r#"An input declared under `inputs:` that no expression reads is either dead or a sign of a typo elsewhere."#,
    example: r#"inputs: {region: string}"#,
    remedy: r#"Read it, or remove it."#,
};
