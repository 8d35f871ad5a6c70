//! `WF052` `switch-without-default`: a switch has no default branch.
//!
//! Without a `default:` a switch whose value matches no case silently does nothing. Exhaustive switches over a `bool` or an `enum` are not reported.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF052",
    name: "switch-without-default",
    default_severity: Severity::Warning,
    summary: "a switch has no default branch",
    explanation: r#"Without a `default:` a switch whose value matches no case silently does nothing. Exhaustive switches over a `bool` or an `enum` are not reported."#,
    example: r#"s: {switch: ${a.output.kind}, cases: {x: {t: {noop: true}}}}"#,
    remedy: r#"Add a `default:` (even an empty one states the intent: `default: {}`)."#,
};
