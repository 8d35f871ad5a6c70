//! `WF087` `conductor-registration`: Conductor would reject this raw task or task definition.
//!
//! Tasks written with `raw:`, and the raw TaskDef fields of worker contracts, are checked with the registration rules of the Conductor server (FORMAT.md §B.4, §C), with the server's exact message. `wfc serve` judges definitions registered through its API with the same checks.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF087",
    name: "conductor-registration",
    default_severity: Severity::Error,
    summary: "Conductor would reject this raw task or task definition",
    explanation: r#"Tasks written with `raw:`, and the raw TaskDef fields of worker contracts, are checked with the registration rules of the Conductor server (FORMAT.md §B.4, §C), with the server's exact message. `wfc serve` judges definitions registered through its API with the same checks."#,
    example: r#"raw: {type: SWITCH, decisionCases: {}}"#,
    remedy: r#"Add the field named in the message."#,
};
