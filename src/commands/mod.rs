//! One module per subcommand. Each exposes `run`, taking its parsed arguments and returning the
//! exit status or a [`Failure`](crate::Failure).

pub mod check;
pub mod compile;
pub mod complete;
pub mod completions;
pub mod deploy;
pub mod explain;
pub mod graph;
pub mod import;
pub mod lsp;
pub mod reference;
pub mod replay;
pub mod rules;
pub mod run;
pub mod runs;
pub mod serve;
