//! `WF104` `unused-mock`: a mock is given for a task that is never mocked.
//!
//! Only tasks that wait for something outside the workflow take a mock: workers, HTTP calls, human tasks, waits and the like. Operators (switch, fork, join, loop, sub-workflow, set-variable, inline, terminate) are computed by the engine, here as on a Conductor server, and their mocks are ignored.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF104",
    name: "unused-mock",
    default_severity: Severity::Warning,
    summary: "a mock is given for a task that is never mocked",
    explanation: r#"Only tasks that wait for something outside the workflow take a mock: workers, HTTP calls, human tasks, waits and the like. Operators (switch, fork, join, loop, sub-workflow, set-variable, inline, terminate) are computed by the engine, here as on a Conductor server, and their mocks are ignored."#,
    example: r#"route:   # a switch
  - output: {selectedCase: urgent}"#,
    remedy: r#"Remove the mock, and mock the tasks the operator leads to instead."#,
};
