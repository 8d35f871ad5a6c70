//! `WF011` `missing-key`: a required key is missing.
//!
//! Some keys are required: a workflow needs `workflow`, `owner` and `tasks`; a `switch` needs `cases`; a `loop` needs `do`, and so on.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF011",
    name: "missing-key",
    default_severity: Severity::Error,
    summary: "a required key is missing",
    explanation: r#"Some keys are required: a workflow needs `workflow`, `owner` and `tasks`; a `switch` needs `cases`; a `loop` needs `do`, and so on."#,
    example: r#"workflow: w
owner: a@b.c"#,
    remedy: r#"Add the key named in the message."#,
};
