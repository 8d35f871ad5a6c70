//! `WF085` `task-timeouts`: a worker's timeouts contradict each other.
//!
//! Conductor's `@TaskTimeoutConstraint`: `responseTimeoutSeconds` must be ≤ `timeoutSeconds` when a timeout is set, and `timeoutSeconds` ≤ `totalTimeoutSeconds`. Beware: the default response timeout is 1h, so a `timeout` under 1h needs an explicit `response_timeout`.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF085",
    name: "task-timeouts",
    default_severity: Severity::Error,
    summary: "a worker's timeouts contradict each other",
    explanation: r#"Conductor's `@TaskTimeoutConstraint`: `responseTimeoutSeconds` must be ≤ `timeoutSeconds` when a timeout is set, and `timeoutSeconds` ≤ `totalTimeoutSeconds`. Beware: the default response timeout is 1h, so a `timeout` under 1h needs an explicit `response_timeout`."#,
    example: r#"workers:
  w: {timeout: 10m}"#,
    remedy: r#"Set `response_timeout` to at most `timeout`."#,
};
