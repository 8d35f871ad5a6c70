//! `WF038` `unknown-contract-input`: an input that the contract does not declare.
//!
//! The task passes an input key that the worker contract (or sub-workflow) does not declare; the worker would never read it.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF038",
    name: "unknown-contract-input",
    default_severity: Severity::Error,
    summary: "an input that the contract does not declare",
    explanation: r#"The task passes an input key that the worker contract (or sub-workflow) does not declare; the worker would never read it."#,
    example: r#"build: {worker: build_firmware, input: {verison: '1'}}"#,
    remedy: r#"Fix the name or declare the input in the contract."#,
};
