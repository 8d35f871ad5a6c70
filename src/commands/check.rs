//! `wfc check [PATH...]`: lint workflow and contract files.
//!
//! 1. Load the configuration and the files and analyse them ([`load::load`]): a configuration
//!    with mistakes is rendered in the chosen format and nothing is checked (exit 2); a file
//!    that cannot be read is reported on stderr and makes the exit status 2.
//! 2. Render the diagnostics to stdout and derive the exit status.

use wfc_compiler::render::{self, Summary};

use crate::cli::CheckArgs;
use crate::load::{self, Request};
use crate::output::{self, Terminal};
use crate::{Exit, Failure};

pub fn run(args: &CheckArgs, terminal: &Terminal) -> Result<Exit, Failure> {
    let options = load::render_options(terminal, args.quiet);
    let format = args.format.render_format();
    let request = Request {
        paths: &args.paths,
        config: args.config.as_deref(),
        quiet: args.quiet,
        format,
    };
    let Some(loaded) = load::load(request, &options, terminal)? else {
        return Ok(Exit::Failure);
    };
    let analysis = loaded.analysis;
    output::print(&render::render(
        format,
        &analysis.sources,
        &analysis.diagnostics,
        &options,
    ));

    let summary = Summary::of(&analysis.sources, &analysis.diagnostics);
    // The process exits right after this: freeing every node of a large project one by one
    // costs a tenth of the run, and the operating system reclaims it at once.
    std::mem::forget(analysis);
    Ok(if loaded.unreadable {
        Exit::Failure
    } else if summary.errors > 0 || (args.deny_warnings && summary.warnings > 0) {
        Exit::Problems
    } else {
        Exit::Clean
    })
}
