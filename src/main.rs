//! The `wfc` command-line interface.
fn main() {}
