//! Inline suppressions (`# wfc: ignore[CODE]`) and configured severity overrides, applied to the
//! diagnostics of an analysis as its last step.

use crate::config::Config;
use crate::diagnostic::Diagnostic;
use crate::source::SourceDb;

/// Removes suppressed diagnostics, applies severity overrides, and reports bad suppressions.
pub fn apply(_sources: &SourceDb, _config: &Config, _diagnostics: &mut Vec<Diagnostic>) {}
