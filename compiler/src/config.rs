//! Project configuration (`wfc.toml`): rule severity overrides and include/exclude globs.
//!
//! The compiler only parses the text; finding and reading the file is the caller's job.

use crate::diagnostic::Severity;
use crate::rules::Rule;

/// Parsed `wfc.toml`.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Severity overrides; `None` turns the rule off.
    pub rule_severities: Vec<(&'static Rule, Option<Severity>)>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}
