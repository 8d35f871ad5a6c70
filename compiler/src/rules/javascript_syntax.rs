//! `WF061` `javascript-syntax`: a JavaScript expression does not parse.
//!
//! Scripts of `inline`, `switch: {javascript}` and `loop.while` are compiled (never run) by an embedded QuickJS; Conductor would fail the task (or reject the definition for a switch).

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF061",
    name: "javascript-syntax",
    default_severity: Severity::Error,
    summary: "a JavaScript expression does not parse",
    explanation: r#"Scripts of `inline`, `switch: {javascript}` and `loop.while` are compiled (never run) by an embedded QuickJS; Conductor would fail the task (or reject the definition for a switch)."#,
    example: r#"inline: "return $.a +""#,
    remedy: r#"Fix the script at the marked position."#,
};
