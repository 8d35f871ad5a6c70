//! `wfc compile [PATH...] -o DIR`: compile workflows to Conductor JSON.
//!
//! 1. Load and analyse exactly like `wfc check` ([`load::load`]).
//! 2. When anything stops the build (an error diagnostic, a warning with `--deny-warnings`, an
//!    unreadable file), render the diagnostics like `check` and write nothing.
//! 3. Otherwise emit everything in memory ([`emit::compile`]), then write one
//!    `<workflow>.json` per workflow and `taskdefs.json` into DIR, each file written to a
//!    temporary file in DIR and renamed over the target, so that a reader never sees half a file
//!    (not synced to disk first: outputs are regenerable, see [`Durability::Regenerable`]).
//!    A file that already holds exactly the new contents is left alone ([`holds`]).

use std::collections::HashMap;
use std::fs;

use wfc_compiler::emit::{self, Compiled, CompiledWorkflow, JsonText};
use wfc_compiler::render::{self, Format, Summary};

use crate::cli::CompileArgs;
use crate::files::{Durability, describe, display, holds, write_pieces_atomically};
use crate::load::{self, Request};
use crate::output::{self, Terminal};
use crate::{Exit, Failure};

/// The file holding the TaskDefs.
pub const TASK_DEFS_FILE: &str = "taskdefs.json";

pub fn run(args: &CompileArgs, terminal: &Terminal) -> Result<Exit, Failure> {
    let out_dir = display(&args.out_dir);
    let project = Project {
        paths: &args.paths,
        config: args.config.as_deref(),
        quiet: args.quiet,
        deny_warnings: args.deny_warnings,
        format: args.format.render_format(),
    };
    let nothing_written = format!("nothing was written to `{out_dir}`");
    let (loaded, compiled) = match load_and_compile(&project, terminal, &nothing_written)? {
        Ok(built) => built,
        Err(exit) => return Ok(exit),
    };
    let names = match file_names(&compiled.workflows) {
        Ok(names) => names,
        Err(problem) => {
            terminal.error(&problem);
            if !args.quiet {
                terminal.error(&nothing_written);
            }
            return Ok(Exit::Problems);
        }
    };
    let mut outputs: Vec<(String, JsonText)> = Vec::with_capacity(compiled.workflows.len() + 1);
    for (workflow, file_name) in compiled.workflows.iter().zip(names) {
        outputs.push((file_name, emit::to_json_pieces(&workflow.definition)));
    }
    outputs.push((
        TASK_DEFS_FILE.to_string(),
        emit::to_json_pieces(&serde_json::Value::Array(compiled.task_defs.clone())),
    ));

    fs::create_dir_all(&args.out_dir).map_err(|error| {
        Failure::new(format!("cannot create `{out_dir}`: {}", describe(&error)))
    })?;
    let mut unchanged = 0;
    for (file_name, text) in &outputs {
        let pieces = text.pieces();
        if holds(&args.out_dir.join(file_name), &pieces) {
            unchanged += 1;
            continue;
        }
        write_pieces_atomically(&args.out_dir, file_name, &pieces, Durability::Regenerable)
            .map_err(|error| {
                Failure::new(format!(
                    "cannot write `{}`: {}",
                    display(&args.out_dir.join(file_name)),
                    describe(&error)
                ))
            })?;
    }
    if !args.quiet {
        // Files left alone because they already held the output.
        let unchanged = match unchanged {
            0 => String::new(),
            count => format!(" ({} unchanged)", plural(count, "file")),
        };
        output::note(&format!(
            "compiled {} and {} into `{out_dir}`{unchanged}",
            plural(compiled.workflows.len(), "workflow"),
            plural(compiled.task_defs.len(), "task definition"),
        ));
    }
    // The process exits next: freeing the syntax trees, models and JSON one allocation at a
    // time would cost a tenth of a large compile for nothing (rustc does the same).
    std::mem::forget((loaded, compiled, outputs));
    Ok(Exit::Clean)
}

/// What to load and compile, and how strictly.
#[derive(Debug, Clone, Copy)]
pub struct Project<'a> {
    pub paths: &'a [std::path::PathBuf],
    pub config: Option<&'a std::path::Path>,
    pub quiet: bool,
    pub deny_warnings: bool,
    pub format: Format,
}

/// Steps 1 and 2 of `wfc compile`, shared with `wfc deploy`: loads and analyses the project,
/// renders its diagnostics, and emits everything in memory. `Ok(Err(exit))` when something
/// stops the build (reported, with `nothing_done` saying what did not happen).
pub fn load_and_compile(
    project: &Project,
    terminal: &Terminal,
    nothing_done: &str,
) -> Result<Result<(load::Loaded, Compiled), Exit>, Failure> {
    let options = load::render_options(terminal, project.quiet);
    let format = project.format;
    let request = Request {
        paths: project.paths,
        config: project.config,
        quiet: project.quiet,
        format,
    };
    let Some(loaded) = load::load(request, &options, terminal)? else {
        return Ok(Err(Exit::Failure));
    };
    let analysis = &loaded.analysis;
    let summary = Summary::of(&analysis.sources, &analysis.diagnostics);
    let blocked =
        loaded.unreadable || summary.errors > 0 || (project.deny_warnings && summary.warnings > 0);
    // Human output only when there is something to say; machine formats always get a document.
    if !analysis.diagnostics.is_empty() || format != Format::Human {
        output::print(&render::render(
            format,
            &analysis.sources,
            &analysis.diagnostics,
            &options,
        ));
    }
    if blocked {
        if !project.quiet {
            terminal.error(nothing_done);
        }
        return Ok(Err(if loaded.unreadable {
            Exit::Failure
        } else {
            Exit::Problems
        }));
    }
    match emit::compile(analysis) {
        Ok(compiled) => Ok(Ok((loaded, compiled))),
        Err(problems) => {
            for problem in &problems {
                terminal.error(problem);
            }
            if !project.quiet {
                terminal.error(nothing_done);
            }
            Ok(Err(Exit::Problems))
        }
    }
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// `<name>.json` for each workflow, `<name>.v<version>.json` when several versions of one name
/// are compiled. Characters that some file systems refuse become `_`.
fn file_names(workflows: &[CompiledWorkflow]) -> Result<Vec<String>, String> {
    let mut versions: HashMap<&str, usize> = HashMap::new();
    for workflow in workflows {
        *versions.entry(workflow.name.as_str()).or_default() += 1;
    }
    let mut names = Vec::with_capacity(workflows.len());
    let mut seen: HashMap<String, &str> = HashMap::new();
    seen.insert(TASK_DEFS_FILE.to_string(), "the task definitions");
    for workflow in workflows {
        let stem = emit::file_stem(&workflow.name);
        let name = if versions.get(workflow.name.as_str()).copied().unwrap_or(0) > 1 {
            format!("{stem}.v{}.json", workflow.version)
        } else {
            format!("{stem}.json")
        };
        if let Some(other) = seen.get(&name) {
            return Err(format!(
                "workflow `{}` would be written to `{name}`, which also holds {other}; rename the workflow",
                workflow.name
            ));
        }
        seen.insert(name.clone(), "another workflow");
        names.push(name);
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use wfc_compiler::source::FileId;

    fn workflow(name: &str, version: i64) -> CompiledWorkflow {
        CompiledWorkflow {
            name: name.to_string(),
            version,
            file: FileId(0),
            definition: Value::Null,
        }
    }

    #[test]
    fn names_of_files() {
        let names = file_names(&[
            workflow("a", 1),
            workflow("b <x>", 1),
            workflow("c", 1),
            workflow("c", 2),
        ]);
        assert_eq!(
            names.ok(),
            Some(vec![
                "a.json".to_string(),
                "b _x_.json".to_string(),
                "c.v1.json".to_string(),
                "c.v2.json".to_string(),
            ])
        );
        assert!(file_names(&[workflow("taskdefs", 1)]).is_err());
        assert!(file_names(&[workflow("a<", 1), workflow("a>", 1)]).is_err());
    }
}
