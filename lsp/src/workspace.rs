//! Open documents, the workspace around them, and the analysis of one document.
//!
//! The editor owns the text of open documents; the disk owns the rest. [`Overlay`] is the
//! compiler's `SourceLoader` that serves open documents before the disk, so an unsaved contract
//! file is what its importers are checked against. Each analysis produces an immutable
//! [`Snapshot`] that requests read without locking; the newest one whose YAML parsed is kept
//! apart so that completion and hover keep working while the text is broken.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use wfc_compiler::check::{Scope, TaskGraph};
use wfc_compiler::config::Config;
use wfc_compiler::model::Workflow;
use wfc_compiler::project::{
    Analysis, InputFile, SourceLoader, analyze_in_context, is_contract_path, normalize,
};
use wfc_compiler::syntax::{self, Node};
use wfc_compiler::{FileId, rules};

/// An open document, as the editor last sent it.
#[derive(Debug, Clone)]
pub struct Document {
    pub version: i32,
    pub text: Arc<str>,
    pub path: PathBuf,
}

/// Serves open documents' text before the disk.
#[derive(Debug, Clone, Default)]
pub struct Overlay {
    pub open: HashMap<PathBuf, Arc<str>>,
}

impl SourceLoader for Overlay {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        match self.open.get(&normalize(path)) {
            Some(text) => Ok(text.to_string()),
            None => std::fs::read_to_string(path),
        }
    }
}

/// What is needed to analyse one document, taken from the state under its lock so that the
/// analysis itself runs without it.
#[derive(Debug, Clone)]
pub struct Job {
    pub version: i32,
    pub path: PathBuf,
    pub text: Arc<str>,
    pub overlay: Overlay,
    /// Other workflow files of the workspace that the document may call by name.
    pub context: Vec<PathBuf>,
}

/// The result of analysing one version of one document.
#[derive(Debug)]
pub struct Snapshot {
    pub version: i32,
    pub path: PathBuf,
    pub analysis: Analysis,
    /// The document's file in `analysis`.
    pub file: FileId,
    /// The document's syntax tree; `None` when the YAML does not parse.
    pub root: Option<Node>,
}

impl Snapshot {
    pub fn text(&self) -> &str {
        self.analysis.sources.text(self.file)
    }

    /// The index of the document's workflow in `analysis.workflows`.
    fn workflow_index(&self) -> Option<usize> {
        self.analysis
            .workflows
            .iter()
            .position(|workflow| workflow.file == self.file)
    }

    pub fn workflow(&self) -> Option<&Workflow> {
        self.workflow_index()
            .map(|index| &self.analysis.workflows[index])
    }

    pub fn scope(&self) -> Option<&Scope> {
        self.workflow_index()
            .and_then(|index| self.analysis.scopes.get(index))
    }

    pub fn graph(&self) -> Option<&TaskGraph> {
        self.analysis
            .graphs
            .iter()
            .find(|(file, _)| *file == self.file)
            .map(|(_, graph)| graph)
    }

    /// Whether the YAML parsed (a syntax error leaves no tree to answer from).
    pub fn parsed(&self) -> bool {
        self.root.is_some()
    }

    /// Whether the document's analysis read `path` (an import, a sub-workflow).
    pub fn reads(&self, path: &Path) -> bool {
        let wanted = normalize(path);
        self.analysis
            .sources
            .iter()
            .any(|(file, source)| file != self.file && normalize(Path::new(&source.path)) == wanted)
    }
}

/// The syntax tree of a job's text; `None` when the YAML does not parse (a syntax error leaves
/// no tree to answer from).
pub fn parse(text: &str) -> Option<Node> {
    let parsed = syntax::parse(FileId(0), text);
    let broken = parsed
        .diagnostics
        .iter()
        .any(|diagnostic| diagnostic.code == rules::yaml_syntax::RULE.code);
    if broken { None } else { parsed.root }
}

/// Analyses one document with the configuration that applies to it.
pub fn analyse(job: Job) -> Snapshot {
    let config = config_for(&job.path);
    let context: Vec<InputFile> = job
        .context
        .iter()
        .filter(|path| normalize(path) != normalize(&job.path))
        .filter_map(|path| {
            job.overlay.read(path).ok().map(|text| InputFile {
                path: path.clone(),
                text,
            })
        })
        .collect();
    let analysis = analyze_in_context(
        vec![InputFile {
            path: job.path.clone(),
            text: job.text.to_string(),
        }],
        context,
        &job.overlay,
        &config,
    );
    let file = analysis.given_files.first().copied().unwrap_or_default();
    // Parsed after the analysis, whose transient memory is then free for the tree.
    let root = parse(analysis.sources.text(file));
    Snapshot {
        version: job.version,
        path: job.path,
        analysis,
        file,
        root,
    }
}

/// The `wfc.toml` that applies to a file: the first found walking up from its directory, as
/// `wfc check FILE` finds it. A configuration with mistakes is ignored here (its errors are
/// `wfc check`'s to report).
pub fn config_for(path: &Path) -> Config {
    let mut directory = path.parent();
    while let Some(current) = directory {
        let candidate = current.join("wfc.toml");
        if let Ok(text) = std::fs::read_to_string(&candidate) {
            let (config, problems) = Config::parse(FileId(0), &text);
            return if problems.is_empty() {
                config
            } else {
                Config::default()
            };
        }
        directory = current.parent();
    }
    Config::default()
}

/// The workflow files of the workspace folders, with the name each declares, found the way
/// `wfc check DIR` finds files (the `include`/`exclude` globs of the root's `wfc.toml`; hidden
/// entries skipped).
#[derive(Debug, Clone, Default)]
pub struct WorkspaceIndex {
    pub workflows: Vec<(String, PathBuf)>,
}

/// Most files looked at when indexing a workspace (a home directory opened by mistake must not
/// stall the server).
const MAXIMUM_INDEXED_FILES: usize = 20_000;

impl WorkspaceIndex {
    pub fn scan(roots: &[PathBuf]) -> WorkspaceIndex {
        let mut index = WorkspaceIndex::default();
        let mut seen = 0usize;
        for root in roots {
            let filter = config_for(&root.join("wfc.toml")).file_filter();
            let mut stack = vec![root.clone()];
            while let Some(directory) = stack.pop() {
                let Ok(entries) = std::fs::read_dir(&directory) else {
                    continue;
                };
                let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
                entries.sort_by_key(|entry| entry.file_name());
                for entry in entries {
                    seen += 1;
                    if seen > MAXIMUM_INDEXED_FILES {
                        return index;
                    }
                    let name = entry.file_name();
                    if name.to_string_lossy().starts_with('.') {
                        continue;
                    }
                    let path = entry.path();
                    let Ok(kind) = entry.file_type() else {
                        continue;
                    };
                    let relative = path
                        .strip_prefix(root)
                        .unwrap_or(&path)
                        .to_string_lossy()
                        .replace('\\', "/");
                    if kind.is_dir() {
                        if !filter.is_excluded(&relative) {
                            stack.push(path);
                        }
                    } else if kind.is_file()
                        && filter.is_included(&relative)
                        && !is_contract_path(&path)
                        && let Ok(text) = std::fs::read_to_string(&path)
                        && let Some(name) = declared_workflow_name(&text)
                    {
                        index.workflows.push((name, path));
                    }
                }
            }
        }
        index
    }

    /// Records (or forgets) what one file declares now.
    pub fn update(&mut self, path: &Path, text: Option<&str>) {
        let wanted = normalize(path);
        self.workflows
            .retain(|(_, known)| normalize(known) != wanted);
        if let Some(name) = text.and_then(declared_workflow_name)
            && !is_contract_path(path)
        {
            self.workflows.push((name, path.to_path_buf()));
        }
    }

    /// The workflow files a text may call by name (their names occur in it).
    pub fn called_by(&self, text: &str) -> Vec<PathBuf> {
        self.workflows
            .iter()
            .filter(|(name, _)| text.contains(name.as_str()))
            .map(|(_, path)| path.clone())
            .collect()
    }
}

/// The value of a top-level `workflow:` key, read from the text without parsing (the index
/// only needs names, and must not analyse every file of the workspace).
pub fn declared_workflow_name(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let value = line.strip_prefix("workflow:")?;
        let value = value.split(" #").next().unwrap_or("").trim();
        let value = value.trim_matches(|character| character == '"' || character == '\'');
        (!value.is_empty()).then(|| value.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_declared_name_without_parsing() {
        assert_eq!(
            declared_workflow_name("# x\nworkflow: \"deploy\" # the name\ntasks: {}\n"),
            Some("deploy".to_string())
        );
        assert_eq!(declared_workflow_name("  workflow: nested\n"), None);
    }

    #[test]
    fn the_overlay_serves_open_documents_first() {
        let directory = tempfile::tempdir().expect("a temporary directory");
        let path = directory.path().join("a.workers.yaml");
        std::fs::write(&path, "on disk").expect("written");
        let mut overlay = Overlay::default();
        assert_eq!(overlay.read(&path).expect("read"), "on disk");
        overlay
            .open
            .insert(normalize(&path), Arc::from("in the editor"));
        assert_eq!(overlay.read(&path).expect("read"), "in the editor");
    }
}
