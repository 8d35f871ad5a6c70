//! See the crate documentation; built by the run-command work.
