//! `WF010` `unknown-key`: a key that wfc does not know.
//!
//! Conductor silently ignores unknown JSON keys, so a typo like `loopCondtion` becomes a workflow that misbehaves at run time. wfc knows every key of its language and suggests the closest valid one. Use `raw:` to pass a Conductor field through unchanged.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF010",
    name: "unknown-key",
    default_severity: Severity::Error,
    summary: "a key that wfc does not know",
    explanation: r#"Conductor silently ignores unknown JSON keys, so a typo like `loopCondtion` becomes a workflow that misbehaves at run time. wfc knows every key of its language and suggests the closest valid one. Use `raw:` to pass a Conductor field through unchanged."#,
    example: r#"tasks:
  build:
    worker: build
    optinal: true"#,
    remedy: r#"Fix the spelling (the help names the closest key), or move the field under `raw:`."#,
};
