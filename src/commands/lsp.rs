//! `wfc lsp`: run the language server on stdin/stdout until the editor exits it. Everything
//! lives in the `wfc-lsp` crate; diagnostics and logs go to stderr, which editors show in their
//! LSP log.

use crate::cli::LspArgs;
use crate::{Exit, Failure};

pub fn run(_args: &LspArgs) -> Result<Exit, Failure> {
    wfc_lsp::run_stdio()
        .map_err(|error| Failure::new(format!("the language server stopped: {error}")))?;
    Ok(Exit::Clean)
}
