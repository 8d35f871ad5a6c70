//! `WF103` `mock-output-mismatch`: a mocked output does not match the task's declared output type.
//!
//! A completed mock's `output` is what the rest of the run reads as `${ref.output}`. It is checked against the type the worker contract (or the task's `returns:`/`output:`) declares, so that a dry run never passes on data a real worker could not produce.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF103",
    name: "mock-output-mismatch",
    default_severity: Severity::Error,
    summary: "a mocked output does not match the task's declared output type",
    explanation: r#"A completed mock's `output` is what the rest of the run reads as `${ref.output}`. It is checked against the type the worker contract (or the task's `returns:`/`output:`) declares, so that a dry run never passes on data a real worker could not produce."#,
    example: r#"reserve:   # reserve_inventory returns {reservation_id: string}
  - output: {reservation_id: 42}"#,
    remedy: r#"Mock what the worker really returns, or fix the contract."#,
};
