//! `wfc explain FILE [--why TASK TASK]`: the plan the compiler chose for one workflow, and why
//! two tasks do or do not run in parallel ([`wfc_compiler::explain`]).

use wfc_compiler::explain::Explainer;

use crate::cli::ExplainArgs;
use crate::load;
use crate::output::{self, Terminal};
use crate::{Exit, Failure};

pub fn run(args: &ExplainArgs, terminal: &Terminal) -> Result<Exit, Failure> {
    let one = match load::load_one_workflow(&args.file, args.config.as_deref(), terminal)? {
        Ok(one) => one,
        Err(exit) => return Ok(exit),
    };
    let Some(checked) = one.checked() else {
        return Err(Failure::new("the workflow was not checked"));
    };
    let explainer = Explainer::new(checked);
    match args.why.as_slice() {
        [first, second] => match explainer.why(first, second) {
            Ok(answer) => {
                output::print(&format!("{answer}\n"));
                Ok(Exit::Clean)
            }
            Err(problem) => Err(Failure::new(problem)),
        },
        _ => {
            output::print(&explainer.plan_text());
            Ok(Exit::Clean)
        }
    }
}
