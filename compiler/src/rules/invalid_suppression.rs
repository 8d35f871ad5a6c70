//! `WF090` `invalid-suppression`: a suppression comment names an unknown rule.
//!
//! `# wfc: ignore[...]` takes rule codes (`WF050`) or names (`unused-input`).

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF090",
    name: "invalid-suppression",
    default_severity: Severity::Warning,
    summary: "a suppression comment names an unknown rule",
    explanation: r#"`# wfc: ignore[...]` takes rule codes (`WF050`) or names (`unused-input`)."#,
    example: r#"# wfc: ignore[WF999]"#,
    remedy: r#"Fix the code."#,
};
