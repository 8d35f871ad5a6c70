//! `WF087` `conductor-registration`: Conductor would reject this raw task.
//!
//! Tasks written with `raw:` are checked with the registration rules of the Conductor server (FORMAT.md §C), with the server's exact message.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF087",
    name: "conductor-registration",
    default_severity: Severity::Error,
    summary: "Conductor would reject this raw task",
    explanation: r#"Tasks written with `raw:` are checked with the registration rules of the Conductor server (FORMAT.md §C), with the server's exact message."#,
    example: r#"raw: {type: SWITCH, decisionCases: {}}"#,
    remedy: r#"Add the field named in the message."#,
};
