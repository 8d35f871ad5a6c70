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

/// The benchmarks' project generator: large realistic workflows for tests that compare a
/// parallel path with the sequential one.
#[cfg(test)]
#[allow(dead_code)]
#[path = "../benches/corpus/mod.rs"]
mod test_corpus;

pub use diagnostic::{Diagnostic, Severity, Span};
pub use source::{FileId, SourceDb};
