//! `WF005` `invalid-config`: the project configuration (`wfc.toml`) is invalid.
//!
//! A configuration that cannot be read completely would silently check with other settings than
//! the author wrote, so `wfc check` reports every problem in `wfc.toml` and checks nothing until
//! they are fixed.

use crate::diagnostic::Severity;
use crate::rules::Rule;

pub const RULE: Rule = Rule {
    code: "WF005",
    name: "invalid-config",
    default_severity: Severity::Error,
    summary: "the project configuration is invalid",
    explanation: r#"`wfc.toml` must be valid TOML with the keys `include`, `exclude` (lists of globs), a `[rules]` table mapping rule codes or names to `"error"`, `"warning"`, `"info"` or `"off"`, and a `[run]` table for `wfc run` (`runs_dir`, and command workers in `[run.workers]`, see docs/run.md). Unknown keys, unknown rules (with a did-you-mean), invalid globs, invalid severities and rules configured twice are reported with their position in the file, and nothing is checked until they are fixed."#,
    example: r#"[rules]
swich-without-default = "error""#,
    remedy: r#"Fix the entry the message points at; `wfc rules` lists every rule code and name."#,
};
