//! `WF084` `invalid-task-reference-name`: a task reference name Conductor cannot handle.
//!
//! Reference names must not contain `__` (Conductor uses it for loop iterations: `ref__2`) nor `.`, `[`, `]`, `$`, `{`, `}` or spaces, which break `${ref.output}` paths.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF084",
    name: "invalid-task-reference-name",
    default_severity: Severity::Error,
    summary: "a task reference name Conductor cannot handle",
    explanation: r#"Reference names must not contain `__` (Conductor uses it for loop iterations: `ref__2`) nor `.`, `[`, `]`, `$`, `{`, `}` or spaces, which break `${ref.output}` paths."#,
    example: r#"tasks:
  build__1: {worker: build}"#,
    remedy: r#"Rename the task."#,
};
