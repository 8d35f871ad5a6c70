//! `WF101` `unknown-mock-reference`: a mock names a task the workflow does not have.
//!
//! Mocks are keyed by task reference name. A reference no task of the workflow (or of the workflows it starts) has is never used: the task that was meant runs without its mock, and the run stops before it starts because the task has no worker.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF101",
    name: "unknown-mock-reference",
    default_severity: Severity::Error,
    summary: "a mock names a task the workflow does not have",
    explanation: r#"Mocks are keyed by task reference name. A reference no task of the workflow (or of the workflows it starts) has is never used: the task that was meant runs without its mock, and the run stops before it starts because the task has no worker."#,
    example: r#"taskRefToMockOutput:
  chagre: [{status: COMPLETED, output: {id: ch_1}}]"#,
    remedy: r#"Fix the reference (the help names the closest task)."#,
};
