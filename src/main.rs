//! The `wfc` command-line interface.
//!
//! `main` parses the arguments and hands them to one module of `commands/` per subcommand. Every
//! command returns an [`Exit`] status; problems that stop a command (unreadable files, a bad
//! configuration) are [`Failure`]s, reported on stderr with exit status 2.

mod cli;
mod commands;
mod files;
mod load;
mod output;
mod progress;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

/// Analysis allocates many small nodes; glibc's allocator spent a third of `wfc check` in
/// malloc/free, mimalloc a fraction of that (docs/benchmarks.md). Version 2 of mimalloc (see the
/// workspace `Cargo.toml`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// Nothing to report (warnings are allowed unless `--deny-warnings`).
    Clean = 0,
    /// The checked files have errors (or warnings with `--deny-warnings`).
    Problems = 1,
    /// A usage, configuration or I/O error.
    Failure = 2,
}

/// An error that stops a command; printed as `error: {message}` and exits with status 2.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let terminal = output::Terminal::detect(cli.color);
    let result = match cli.command {
        Command::Check(args) => commands::check::run(&args, &terminal),
        Command::Compile(args) => commands::compile::run(&args, &terminal),
        Command::Explain(args) => commands::explain::run(&args, &terminal),
        Command::Graph(args) => commands::graph::run(&args, &terminal),
        Command::Import(args) => commands::import::run(&args, &terminal),
        Command::Rules(args) => commands::rules::run(&args),
        Command::ExplainRule(args) => commands::rules::explain(&args),
        Command::Completions(args) => commands::completions::run(&args),
        Command::Run(args) => commands::run::run(&args, &terminal),
        Command::Runs(args) => commands::runs::run(&args, &terminal),
        Command::Replay(args) => commands::replay::run(&args, &terminal),
        Command::Complete(args) => commands::complete::run(&args, &terminal),
        Command::Lsp(args) => commands::lsp::run(&args),
        Command::Deploy(args) => commands::deploy::run(&args, &terminal),
        Command::Serve(args) => commands::serve::run(&args, &terminal),
        Command::CliReference => commands::reference::run(),
    };
    let exit = match result {
        Ok(exit) => exit,
        Err(failure) => {
            terminal.error(&failure.message);
            Exit::Failure
        }
    };
    ExitCode::from(exit as u8)
}
