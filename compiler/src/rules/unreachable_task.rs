//! `WF041` `unreachable-task`: a task can never run.
//!
//! A task that depends on a `terminate` task can never run (the workflow has ended), and a switch case whose value the switch expression can never take (given its enum or bool type) is dead code.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF041",
    name: "unreachable-task",
    default_severity: Severity::Warning,
    summary: "a task can never run",
    explanation: r#"A task that depends on a `terminate` task can never run (the workflow has ended), and a switch case whose value the switch expression can never take (given its enum or bool type) is dead code."#,
    example: r#"stop: {terminate: FAILED}
after_stop: {noop: true, after: stop}"#,
    remedy: r#"Remove the task or fix the dependency."#,
};
