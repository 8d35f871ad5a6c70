//! The wfc language server: `wfc lsp` speaks the Language Server Protocol over stdio.
//!
//! This is the only crate that knows LSP. All analysis comes from `wfc-compiler`
//! (`project::analyze_in_context` for diagnostics, `query` for what is at a position), so the
//! editor shows exactly what `wfc check` reports. Positions are converted between byte offsets
//! and the negotiated encoding in [`convert`] and nowhere else.
//!
//! * [`server`]: document synchronisation, versions, diagnostics, panic isolation.
//! * [`workspace`]: open documents over the disk, the workspace index, one document's analysis.
//! * [`features`]: completion, hover, navigation, rename, outline, code actions, highlighting.

pub mod convert;
pub mod features;
pub mod server;
pub mod workspace;

use tokio::io::{AsyncRead, AsyncWrite};
use tower_lsp_server::{LspService, Server};

pub use server::Backend;

/// Serves one client over a pair of streams until it exits.
pub async fn serve(input: impl AsyncRead + Unpin, output: impl AsyncWrite) {
    let (service, socket) = LspService::new(Backend::new);
    Server::new(input, output, socket).serve(service).await;
}

/// Serves one client over stdin and stdout (what `wfc lsp` runs), on one thread (see
/// [`server`] for why analyses run there too).
pub fn run_stdio() -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(tokio::io::stdin(), tokio::io::stdout()));
    Ok(())
}
