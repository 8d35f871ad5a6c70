//! One module per subcommand. Each exposes `run`, taking its parsed arguments and returning the
//! exit status or a [`Failure`](crate::Failure).

pub mod check;
pub mod compile;
pub mod completions;
pub mod lsp;
pub mod rules;
