//! `WF086` `value-out-of-range`: a number is outside the allowed range.
//!
//! Conductor's bean validation bounds: versions ≥ 1, retry count ≥ 0, start delay ≥ 0, response timeout ≥ 1s, backoff scale ≥ 1, and so on.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF086",
    name: "value-out-of-range",
    default_severity: Severity::Error,
    summary: "a number is outside the allowed range",
    explanation: r#"Conductor's bean validation bounds: versions ≥ 1, retry count ≥ 0, start delay ≥ 0, response timeout ≥ 1s, backoff scale ≥ 1, and so on."#,
    example: r#"retries: -1"#,
    remedy: r#"Use a value in range."#,
};
