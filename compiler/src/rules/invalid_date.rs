//! `WF014` `invalid-date`: a date cannot be parsed.
//!
//! `wait.until` takes `YYYY-MM-DD`, `YYYY-MM-DD HH:MM` or `YYYY-MM-DD HH:MM ZONE`, the formats Conductor's WAIT task parses; anything else fails the task at run time.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF014",
    name: "invalid-date",
    default_severity: Severity::Error,
    summary: "a date cannot be parsed",
    explanation: r#"`wait.until` takes `YYYY-MM-DD`, `YYYY-MM-DD HH:MM` or `YYYY-MM-DD HH:MM ZONE`, the formats Conductor's WAIT task parses; anything else fails the task at run time."#,
    example: r#"wait: {until: tomorrow}"#,
    remedy: r#"Write e.g. `2026-12-24 18:00 UTC`, or a `${...}` expression."#,
};
