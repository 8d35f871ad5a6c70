//! `WF021` `unknown-worker`: no contract declares this worker.
//!
//! A `worker:` task must name a worker contract declared under `workers:` in this file or in an imported contract file, so that its input and output can be checked.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF021",
    name: "unknown-worker",
    default_severity: Severity::Error,
    summary: "no contract declares this worker",
    explanation: r#"A `worker:` task must name a worker contract declared under `workers:` in this file or in an imported contract file, so that its input and output can be checked."#,
    example: r#"tasks:
  build: {worker: buidl}"#,
    remedy: r#"Declare the worker's contract, import its file, or fix the spelling."#,
};
