//! Loading a project the way every analysing command does (`wfc check`, `wfc compile`; one
//! workflow for `wfc explain` and `wfc graph`, [`load_one_workflow`]):
//!
//! 1. Load the configuration: `--config FILE`, else the first `wfc.toml` found walking up from
//!    the first path, else from the current directory. A configuration with mistakes is rendered
//!    in the chosen format and nothing is analysed.
//! 2. Expand the paths (see [`files::discover`]) and read the files in parallel. A file that
//!    cannot be read is reported on stderr; a file that is not UTF-8 is reported as a
//!    `yaml-limits` diagnostic.
//! 3. Analyse.

use std::path::{Path, PathBuf};

use wfc_compiler::config::Config;
use wfc_compiler::diagnostic::{Diagnostic, Severity, Span, sort_diagnostics};
use wfc_compiler::project::{Analysis, FileSystemLoader, InputFile, analyze};
use wfc_compiler::render;
use wfc_compiler::rules;
use wfc_compiler::source::SourceDb;

use crate::files::{self, describe, display, relative_to};
use crate::output::{self, Terminal};
use crate::{Exit, Failure};

/// Where `informationUri` in SARIF output points.
const INFORMATION_URI: &str = "https://example.invalid/wfc";

/// The rendering options of a command's diagnostics.
pub fn render_options(terminal: &Terminal, quiet: bool) -> render::Options {
    render::Options {
        color: terminal.color,
        width: terminal.width,
        summary: !quiet,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        information_uri: INFORMATION_URI.to_string(),
    }
}

/// What the command line asks to analyse.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub paths: &'a [PathBuf],
    /// `--config FILE`.
    pub config: Option<&'a Path>,
    /// `--quiet`: no notes on stderr.
    pub quiet: bool,
    /// The format configuration mistakes are rendered in.
    pub format: render::Format,
}

/// An analysed project.
#[derive(Debug)]
pub struct Loaded {
    pub analysis: Analysis,
    /// A path or file could not be read (already reported on stderr).
    pub unreadable: bool,
    /// The configuration the project was analysed with.
    pub config: Config,
    /// The directory of `wfc.toml` (the current directory without one): what the
    /// configuration's relative paths are relative to.
    pub root: PathBuf,
}

/// Loads and analyses what `request` names. `Ok(None)`: the configuration has mistakes, which
/// were rendered to stdout; nothing was analysed.
pub fn load(
    request: Request,
    options: &render::Options,
    terminal: &Terminal,
) -> Result<Option<Loaded>, Failure> {
    let cwd = std::env::current_dir().map_err(|error| {
        Failure::new(format!(
            "cannot determine the current directory: {}",
            describe(&error)
        ))
    })?;
    let first = request
        .paths
        .first()
        .map_or(Path::new("."), PathBuf::as_path);
    let config_path = match request.config {
        Some(path) => Some(path.to_path_buf()),
        None => files::find_config(first).or_else(|| files::find_config(&cwd)),
    };
    let (config, root) = match &config_path {
        None => (Config::default(), cwd.clone()),
        Some(path) => {
            let Some(config) = load_config(path, &cwd, request.format, options, terminal)? else {
                return Ok(None);
            };
            let absolute = if path.is_absolute() {
                path.clone()
            } else {
                cwd.join(path)
            };
            (
                config,
                absolute
                    .parent()
                    .map_or_else(|| cwd.clone(), Path::to_path_buf),
            )
        }
    };

    let discovery = files::discover(request.paths, &root, &config.file_filter(), &cwd);
    let mut unreadable = !discovery.errors.is_empty();
    for error in &discovery.errors {
        terminal.error(error);
    }
    if discovery.files.is_empty() && discovery.errors.is_empty() && !request.quiet {
        let shown: Vec<String> = request
            .paths
            .iter()
            .map(|path| format!("`{}`", display(&relative_to(path, &cwd))))
            .collect();
        terminal.warning(&format!(
            "no workflow or contract files found in {}",
            shown.join(", ")
        ));
    }

    let contents = files::read_all(&discovery.files);
    let mut inputs = Vec::with_capacity(contents.len());
    let mut not_utf8: Vec<(PathBuf, String, usize)> = Vec::new();
    for (candidate, content) in discovery.files.into_iter().zip(contents) {
        match content {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => inputs.push(InputFile {
                    path: candidate.path,
                    text,
                }),
                Err(error) => {
                    let valid_up_to = error.utf8_error().valid_up_to();
                    not_utf8.push((
                        candidate.path,
                        String::from_utf8_lossy(error.as_bytes()).into_owned(),
                        valid_up_to,
                    ));
                }
            },
            Err(error) => {
                unreadable = true;
                terminal.error(&format!(
                    "cannot read `{}`: {}",
                    display(&candidate.path),
                    describe(&error)
                ));
            }
        }
    }

    let mut analysis = analyze(inputs, &FileSystemLoader, &config);
    if !not_utf8.is_empty() {
        report_not_utf8(
            &mut analysis.sources,
            &mut analysis.diagnostics,
            not_utf8,
            &config,
        );
    }
    Ok(Some(Loaded {
        analysis,
        unreadable,
        config,
        root,
    }))
}

/// Reads and parses a configuration file; renders its mistakes and returns `None` when it has
/// any.
fn load_config(
    path: &Path,
    cwd: &Path,
    format: render::Format,
    options: &render::Options,
    terminal: &Terminal,
) -> Result<Option<Config>, Failure> {
    let shown = relative_to(path, cwd);
    let bytes = std::fs::read(path).map_err(|error| {
        Failure::new(format!(
            "cannot read `{}`: {}",
            display(&shown),
            describe(&error)
        ))
    })?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::new(format!("`{}` is not valid UTF-8", display(&shown))))?;
    let mut sources = SourceDb::new();
    let file = sources.add(display(&shown), text);
    let (config, problems) = Config::parse(file, sources.text(file));
    if problems.is_empty() {
        return Ok(Some(config));
    }
    output::print(&render::render(format, &sources, &problems, options));
    terminal.error(&format!(
        "`{}` has errors; nothing was checked",
        display(&shown)
    ));
    Ok(None)
}

/// Adds files that are not UTF-8 to the sources, with a `yaml-limits` diagnostic at the first
/// invalid byte.
fn report_not_utf8(
    sources: &mut SourceDb,
    diagnostics: &mut Vec<Diagnostic>,
    files: Vec<(PathBuf, String, usize)>,
    config: &Config,
) {
    let rule = &rules::yaml_limits::RULE;
    let Some(severity) = config.severity_for(rule) else {
        return;
    };
    for (path, lossy, offset) in files {
        let file = sources.add(path.to_string_lossy().into_owned(), lossy);
        let end = sources.text(file)[offset..]
            .chars()
            .next()
            .map_or(offset, |character| offset + character.len_utf8());
        let mut diagnostic = Diagnostic::new(
            rule,
            file,
            Span::new(offset, end),
            "the file is not valid UTF-8",
        )
        .with_label("invalid UTF-8 here")
        .with_help("wfc reads UTF-8 YAML text; re-encode the file or exclude it in wfc.toml");
        diagnostic.severity = severity;
        diagnostics.push(diagnostic);
    }
    sort_diagnostics(diagnostics);
}

/// One workflow file, analysed without errors, for the commands that look at one workflow
/// (`wfc explain`, `wfc graph`).
#[derive(Debug)]
pub struct OneWorkflow {
    pub analysis: Analysis,
    /// The workflow's position in `analysis.workflows` (and `analysis.scopes`).
    pub index: usize,
    pub config: Config,
    /// The directory of `wfc.toml` (see [`Loaded::root`]).
    pub root: PathBuf,
}

impl OneWorkflow {
    /// The workflow as the emitter and the explainer read it.
    pub fn checked(&self) -> Option<wfc_compiler::emit::CheckedWorkflow<'_>> {
        let workflow = self.analysis.workflows.get(self.index)?;
        let scope = self.analysis.scopes.get(self.index)?;
        let graph = self
            .analysis
            .graphs
            .iter()
            .find(|(file, _)| *file == workflow.file)
            .map(|(_, graph)| graph)?;
        Some(wfc_compiler::emit::CheckedWorkflow {
            workflow,
            scope,
            graph,
            sources: &self.analysis.sources,
        })
    }
}

/// Loads and analyses one workflow file, with the project around it: the files of its
/// directory (sub-workflows named by `workflow:` resolve among them) and what it imports.
/// Its problems are rendered like `wfc check` renders them; `Ok(Err(exit))` when the file has
/// errors (`Exit::Problems`) or cannot be read or configured (`Exit::Failure`). Errors in other
/// files of the directory do not stop it.
pub fn load_one_workflow(
    path: &Path,
    config: Option<&Path>,
    terminal: &Terminal,
) -> Result<Result<OneWorkflow, Exit>, Failure> {
    if path.is_dir() {
        return Err(Failure::new(format!(
            "`{}` is a directory; give one workflow file",
            display(path)
        )));
    }
    if !path.exists() {
        return Err(Failure::new(format!("`{}` does not exist", display(path))));
    }
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let target = std::fs::canonicalize(path).map_err(|error| {
        Failure::new(format!(
            "cannot read `{}`: {}",
            display(path),
            describe(&error)
        ))
    })?;
    let same_file = |candidate: &str| {
        std::fs::canonicalize(candidate).is_ok_and(|candidate| candidate == target)
    };
    let options = render_options(terminal, false);
    let mut paths = vec![directory];
    let request = Request {
        paths: &paths,
        config,
        quiet: true,
        format: render::Format::Human,
    };
    let Some(mut loaded) = load(request, &options, terminal)? else {
        return Ok(Err(Exit::Failure));
    };
    // A file the directory's include patterns leave out is analysed when named.
    if !loaded
        .analysis
        .given_files
        .iter()
        .any(|file| same_file(loaded.analysis.sources.path(*file)))
    {
        paths.push(path.to_path_buf());
        let request = Request {
            paths: &paths,
            config,
            quiet: true,
            format: render::Format::Human,
        };
        let Some(reloaded) = load(request, &options, terminal)? else {
            return Ok(Err(Exit::Failure));
        };
        loaded = reloaded;
    }
    let Loaded {
        analysis,
        config,
        root,
        ..
    } = loaded;
    let Some(file) = analysis
        .given_files
        .iter()
        .copied()
        .find(|file| same_file(analysis.sources.path(*file)))
    else {
        return Ok(Err(Exit::Failure));
    };
    let errors: Vec<_> = analysis
        .diagnostics_of(file)
        .filter(|diagnostic| diagnostic.severity == Severity::Error)
        .cloned()
        .collect();
    if !errors.is_empty() {
        output::print(&render::render(
            render::Format::Human,
            &analysis.sources,
            &errors,
            &options,
        ));
        terminal.error(&format!(
            "`{}` has errors; fix them first (`wfc check` shows them all)",
            display(path)
        ));
        return Ok(Err(Exit::Problems));
    }
    let index = analysis
        .workflows
        .iter()
        .position(|workflow| workflow.file == file);
    match index {
        Some(index) => Ok(Ok(OneWorkflow {
            analysis,
            index,
            config,
            root,
        })),
        None => Err(Failure::new(format!(
            "`{}` is not a workflow file (`*.wf.yaml`)",
            display(path)
        ))),
    }
}
