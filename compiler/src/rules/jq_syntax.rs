//! `WF062` `jq-syntax`: a jq program does not parse.
//!
//! `jq:` programs are parsed with jaq; Conductor would fail the task at run time.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF062",
    name: "jq-syntax",
    default_severity: Severity::Error,
    summary: "a jq program does not parse",
    explanation: r#"`jq:` programs are parsed with jaq; Conductor would fail the task at run time."#,
    example: r#"jq: ".items | map(.id""#,
    remedy: r#"Fix the program at the marked position."#,
};
