//! `wfc import FILE.json... [-o DIR]`: Conductor JSON → wfc YAML.
//!
//! 1. Read and parse every file; a file that cannot be read or is not JSON is an error with its
//!    location (line and column from the JSON parser).
//! 2. Convert ([`import::import`]); a document that is neither a WorkflowDef nor a TaskDef is an
//!    error located by its JSON pointer. On any error nothing is written and the exit status is 2.
//! 3. Without `-o`, print the files to stdout, each after a `# ---- NAME ----` line. With
//!    `-o DIR`, refuse (before writing anything) when one of the files exists unless `--force`,
//!    then write each file atomically ([`write_atomically`]).

use std::fs;

use wfc_compiler::import::{self, ImportInput};

use crate::cli::ImportArgs;
use crate::files::{Durability, describe, display, write_atomically};
use crate::output::{self, Terminal};
use crate::{Exit, Failure};

pub fn run(args: &ImportArgs, terminal: &Terminal) -> Result<Exit, Failure> {
    let mut inputs = Vec::with_capacity(args.files.len());
    let mut failed = false;
    for path in &args.files {
        let shown = display(path);
        let bytes = match fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) => {
                terminal.error(&format!("cannot read `{shown}`: {}", describe(&error)));
                failed = true;
                continue;
            }
        };
        match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(value) => inputs.push(ImportInput { name: shown, value }),
            Err(error) => {
                let message = error.to_string();
                // serde_json ends its messages with " at line L column C".
                let reason = message
                    .rsplit_once(" at line ")
                    .map_or(message.as_str(), |(reason, _)| reason);
                terminal.error(&format!(
                    "{shown}:{}:{}: invalid JSON: {reason}",
                    error.line(),
                    error.column()
                ));
                failed = true;
            }
        }
    }
    if failed {
        return Ok(Exit::Failure);
    }
    let imported = import::import(&inputs);
    if !imported.problems.is_empty() {
        for problem in &imported.problems {
            let at = if problem.pointer.is_empty() {
                String::new()
            } else {
                format!(" at `{}`", problem.pointer)
            };
            terminal.error(&format!("{}{at}: {}", problem.input, problem.message));
        }
        if !args.quiet && args.out_dir.is_some() {
            terminal.error("nothing was written");
        }
        return Ok(Exit::Failure);
    }
    if !args.quiet {
        for note in &imported.notes {
            output::note(&format!("note: {note}"));
        }
    }
    let Some(out_dir) = &args.out_dir else {
        let mut text = String::new();
        for (index, file) in imported.files.iter().enumerate() {
            if index > 0 {
                text.push('\n');
            }
            text.push_str(&format!("# ---- {} ----\n", file.name));
            text.push_str(&file.text);
        }
        output::print(&text);
        return Ok(Exit::Clean);
    };
    let shown_dir = display(out_dir);
    if !args.force {
        let existing: Vec<String> = imported
            .files
            .iter()
            .map(|file| out_dir.join(&file.name))
            .filter(|path| path.exists())
            .map(|path| format!("`{}`", display(&path)))
            .collect();
        if !existing.is_empty() {
            return Err(Failure::new(format!(
                "{} already exist{}; nothing was written (use --force to replace {})",
                existing.join(", "),
                if existing.len() == 1 { "s" } else { "" },
                if existing.len() == 1 { "it" } else { "them" },
            )));
        }
    }
    fs::create_dir_all(out_dir).map_err(|error| {
        Failure::new(format!("cannot create `{shown_dir}`: {}", describe(&error)))
    })?;
    for file in &imported.files {
        write_atomically(
            out_dir,
            &file.name,
            file.text.as_bytes(),
            Durability::Synced,
        )
        .map_err(|error| {
            Failure::new(format!(
                "cannot write `{}`: {}",
                display(&out_dir.join(&file.name)),
                describe(&error)
            ))
        })?;
    }
    if !args.quiet {
        let workflows = imported
            .files
            .iter()
            .filter(|file| file.name.ends_with(".wf.yaml"))
            .count();
        let noun = if workflows == 1 {
            "workflow"
        } else {
            "workflows"
        };
        output::note(&format!("imported {workflows} {noun} into `{shown_dir}`"));
    }
    Ok(Exit::Clean)
}
