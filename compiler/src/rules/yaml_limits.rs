//! `WF003` `yaml-limits`: the file exceeds a safety limit.
//!
//! Aliases that expand to more than a million nodes ("billion laughs"), nesting deeper than 256 levels, multi-document streams and non-UTF-8 or binary input cannot be a workflow; wfc refuses them with a clear location instead of running out of memory or stack.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF003",
    name: "yaml-limits",
    default_severity: Severity::Error,
    summary: "the file exceeds a safety limit",
    explanation: r#"Aliases that expand to more than a million nodes ("billion laughs"), nesting deeper than 256 levels, multi-document streams and non-UTF-8 or binary input cannot be a workflow; wfc refuses them with a clear location instead of running out of memory or stack."#,
    example: r#"a: &a [*a, *a]"#,
    remedy: r#"Write the structure out; wfc files hold one document."#,
};
