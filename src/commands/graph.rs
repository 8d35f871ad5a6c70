//! `wfc graph FILE [--format mermaid|dot] [--plan]`: draw one workflow, as written or as
//! compiled ([`wfc_compiler::graph`]). The drawing goes to stdout.

use wfc_compiler::emit;
use wfc_compiler::graph::{self, Language};

use crate::cli::{GraphArgs, GraphFormat};
use crate::load;
use crate::output::{self, Terminal};
use crate::{Exit, Failure};

pub fn run(args: &GraphArgs, terminal: &Terminal) -> Result<Exit, Failure> {
    let one = match load::load_one_workflow(&args.file, args.config.as_deref(), terminal)? {
        Ok(one) => one,
        Err(exit) => return Ok(exit),
    };
    let Some(checked) = one.checked() else {
        return Err(Failure::new("the workflow was not checked"));
    };
    let language = match args.format {
        GraphFormat::Mermaid => Language::Mermaid,
        GraphFormat::Dot => Language::Dot,
    };
    let drawing = if args.plan {
        graph::compiled(&checked, &emit::workflow_def(&checked), language)
    } else {
        graph::authored(&checked, language)
    };
    output::print(&drawing);
    Ok(Exit::Clean)
}
