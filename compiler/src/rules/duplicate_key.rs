//! `WF002` `duplicate-key`: a mapping has the same key twice.
//!
//! YAML allows only one value per key, and most tools silently keep the last one. wfc reports every repeated key so that no half of your configuration is dropped without notice.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF002",
    name: "duplicate-key",
    default_severity: Severity::Error,
    summary: "a mapping has the same key twice",
    explanation: r#"YAML allows only one value per key, and most tools silently keep the last one. wfc reports every repeated key so that no half of your configuration is dropped without notice."#,
    example: r#"tasks:
  build: {worker: build}
  build: {worker: test}"#,
    remedy: r#"Rename or remove one of the two entries."#,
};
