//! `WF040` `cycle`: tasks depend on each other in a cycle.
//!
//! Data references and `after:` edges must form a DAG; the message lists the whole cycle.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF040",
    name: "cycle",
    default_severity: Severity::Error,
    summary: "tasks depend on each other in a cycle",
    explanation: r#"Data references and `after:` edges must form a DAG; the message lists the whole cycle."#,
    example: r#"a: {worker: w, input: {x: ${b.output.x}}}
b: {worker: w, input: {x: ${a.output.x}}}"#,
    remedy: r#"Break the cycle by removing one of the edges."#,
};
