//! `WF001` `yaml-syntax`: the file is not valid YAML.
//!
//! The YAML parser rejected the file. wfc reports the first syntax error with its position; nothing else in the file can be checked until it parses.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF001",
    name: "yaml-syntax",
    default_severity: Severity::Error,
    summary: "the file is not valid YAML",
    explanation: r#"The YAML parser rejected the file. wfc reports the first syntax error with its position; nothing else in the file can be checked until it parses."#,
    example: r#"tasks:
  a: [unclosed"#,
    remedy: r#"Close the bracket or quote the parser points at."#,
};
