//! `WF034` `not-upstream`: a task reads a task that is not upstream of it.
//!
//! A task can only read outputs of tasks that completed before it: not tasks in another case of the same switch, not its own nested tasks, not tasks of a sibling parallel branch.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF034",
    name: "not-upstream",
    default_severity: Severity::Error,
    summary: "a task reads a task that is not upstream of it",
    explanation: r#"A task can only read outputs of tasks that completed before it: not tasks in another case of the same switch, not its own nested tasks, not tasks of a sibling parallel branch."#,
    example: r#"s:
  switch: ${workflow.input.x}
  cases:
    a: {t1: {noop: true}}
    b: {t2: {worker: w, input: {v: ${t1.output}}}}"#,
    remedy: r#"Move the reading task after the task it reads, or restructure the branches."#,
};
