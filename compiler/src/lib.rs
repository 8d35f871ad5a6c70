//! The wfc compiler front end, shared by the CLI, the language server and the runtime.
//!
//! Data flows one way: text → [`syntax`] (spanned YAML) → [`model`] (typed workflow) →
//! [`check`] (diagnostics) → plan → Conductor JSON. Every stage returns its result together with
//! all the diagnostics it found; `Result` is reserved for I/O and bugs. This crate does no I/O
//! beyond reading source files through a caller-supplied loader and knows nothing of LSP.

pub mod check;
pub mod config;
pub mod diagnostic;
pub mod emit;
pub mod explain;
pub mod expression;
pub mod format;
pub mod graph;
pub mod import;
pub mod javascript;
pub mod jq;
pub mod layout;
pub mod lower;
pub mod mocks;
pub mod model;
pub mod plan;
pub mod project;
pub mod query;
pub mod registration;
pub mod render;
pub mod rules;
pub mod source;
pub mod suggest;
pub mod suppression;
pub mod syntax;
pub mod threads;
pub mod types;

pub use diagnostic::{Diagnostic, Severity, Span};
pub use source::{FileId, SourceDb};

/// The benchmarks' project generator: large realistic workflows for tests that compare a
/// parallel path with the sequential one.
#[cfg(test)]
#[allow(dead_code)]
#[path = "../benches/corpus/mod.rs"]
mod test_corpus;

/// The YAML files tests compare parallel and sequential paths on: fixtures and examples.
#[cfg(test)]
mod test_files {
    use std::path::{Path, PathBuf};

    use crate::project::InputFile;

    /// Every directory under `root` that holds workflow or contract files.
    pub fn directories_with_yaml(root: &Path, found: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(root) else {
            return;
        };
        let mut has_yaml = false;
        let mut paths: Vec<PathBuf> = entries.flatten().map(|entry| entry.path()).collect();
        paths.sort();
        for path in paths {
            if path.is_dir() {
                directories_with_yaml(&path, found);
            } else if is_yaml(&path) {
                has_yaml = true;
            }
        }
        if has_yaml {
            found.push(root.to_path_buf());
        }
    }

    /// The YAML files directly in `directory`, sorted.
    pub fn yaml_files(directory: &Path) -> Vec<InputFile> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(directory)
            .map(|entries| entries.flatten().map(|entry| entry.path()).collect())
            .unwrap_or_default();
        paths.sort();
        paths
            .into_iter()
            .filter(|path| is_yaml(path))
            .filter_map(|path| {
                let text = std::fs::read_to_string(&path).ok()?;
                Some(InputFile { path, text })
            })
            .collect()
    }

    fn is_yaml(path: &Path) -> bool {
        path.extension()
            .is_some_and(|extension| extension == "yaml" || extension == "yml")
    }
}
