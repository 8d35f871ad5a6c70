//! `WF102` `invalid-mock-status`: a mocked status is not one a worker can report.
//!
//! A mock stands for a worker's `TaskResult`, whose status is one of `COMPLETED`, `FAILED`, `FAILED_WITH_TERMINAL_ERROR`, `IN_PROGRESS` and `CANCELED`, written in capitals. A Conductor server refuses the whole test request for any other value. `wfc run` refuses `CANCELED` too: there only the engine cancels a task.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF102",
    name: "invalid-mock-status",
    default_severity: Severity::Error,
    summary: "a mocked status is not one a worker can report",
    explanation: r#"A mock stands for a worker's `TaskResult`, whose status is one of `COMPLETED`, `FAILED`, `FAILED_WITH_TERMINAL_ERROR`, `IN_PROGRESS` and `CANCELED`, written in capitals. A Conductor server refuses the whole test request for any other value. `wfc run` refuses `CANCELED` too: there only the engine cancels a task."#,
    example: r#"charge:
  - status: SUCCESS"#,
    remedy: r#"Use one of the five statuses (the help names the closest)."#,
};
