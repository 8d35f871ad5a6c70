//! See the crate documentation; built by the evaluator work.
