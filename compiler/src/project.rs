//! A project: the set of workflow and contract files analysed together.
//!
//! Analysis runs in two phases so that files can be checked in parallel: every file is parsed and
//! lowered on its own, then an index of the project's workflows and contract files is built, then
//! each workflow is checked against that index. Imports that were not among the given files are
//! read through the caller's [`SourceLoader`]; this is the only I/O the compiler does.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::diagnostic::{Diagnostic, sort_diagnostics};
use crate::source::{FileId, SourceDb};
use crate::{suppression, syntax};

/// Reads files that the analysis discovers by itself (imports, sub-workflow paths).
pub trait SourceLoader: Sync {
    fn read(&self, path: &Path) -> std::io::Result<String>;
}

/// Reads from the file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct FileSystemLoader;

impl SourceLoader for FileSystemLoader {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
}

/// Reads nothing: every discovered file is reported as missing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoLoader;

impl SourceLoader for NoLoader {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        Err(std::io::Error::new(std::io::ErrorKind::NotFound, format!("{} is not loaded", path.display())))
    }
}

/// One file given to the analysis.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub path: PathBuf,
    pub text: String,
}

/// The result of analysing a project.
#[derive(Debug, Default)]
pub struct Analysis {
    pub sources: SourceDb,
    /// All diagnostics, sorted by file and position, after suppressions and severity overrides.
    pub diagnostics: Vec<Diagnostic>,
}

impl Analysis {
    pub fn diagnostics_of(&self, file: FileId) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(move |diagnostic| diagnostic.file == file)
    }
}

/// Analyses `files` (and what they import) and returns every diagnostic.
pub fn analyze(files: Vec<InputFile>, _loader: &dyn SourceLoader, config: &Config) -> Analysis {
    let mut analysis = Analysis::default();
    for file in files {
        let id = analysis.sources.add(file.path.to_string_lossy().into_owned(), file.text);
        let parsed = syntax::parse(id, analysis.sources.text(id));
        analysis.diagnostics.extend(parsed.diagnostics);
    }
    suppression::apply(&analysis.sources, config, &mut analysis.diagnostics);
    sort_diagnostics(&mut analysis.diagnostics);
    analysis
}
