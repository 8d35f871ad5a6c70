//! `WF013` `invalid-duration`: a duration cannot be parsed.
//!
//! Durations are an integer number of seconds or `<number><unit>` parts with units `ms`, `s`, `m`, `h`, `d`, e.g. `90s`, `1h30m`. WAIT durations are checked against Conductor's own grammar too.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF013",
    name: "invalid-duration",
    default_severity: Severity::Error,
    summary: "a duration cannot be parsed",
    explanation: r#"Durations are an integer number of seconds or `<number><unit>` parts with units `ms`, `s`, `m`, `h`, `d`, e.g. `90s`, `1h30m`. WAIT durations are checked against Conductor's own grammar too."#,
    example: r#"timeout: 10 minutes please"#,
    remedy: r#"Write e.g. `10m`."#,
};
