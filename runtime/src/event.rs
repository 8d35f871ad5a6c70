//! See the crate documentation; built by the runtime engine work.
