//! `wfc completions SHELL`: print a completion script for bash, zsh, fish, elvish or PowerShell.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::{Exit, Failure, output};

pub fn run(args: &CompletionsArgs) -> Result<Exit, Failure> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "wfc", &mut script);
    output::print(&String::from_utf8_lossy(&script));
    Ok(Exit::Clean)
}
