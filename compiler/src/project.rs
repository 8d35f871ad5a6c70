//! A project: the set of workflow and contract files analysed together.
//!
//! Analysis runs in phases so that files can be checked in parallel: every file is parsed and
//! lowered on its own (in parallel); imports that were not among the given files are read through
//! the caller's [`SourceLoader`] (the only I/O the compiler does); then every workflow gets a
//! [`Scope`] (contracts, types, sub-workflow signatures) and is checked (in parallel again).

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::check::{self, Scope, TaskGraph, WorkflowChecker, WorkflowSignature};
use crate::config::Config;
use crate::diagnostic::{Diagnostic, Span, sort_diagnostics};
use crate::lower::{self, LoweredFile};
use crate::model::{ContractFile, ForEachTarget, TaskKind, Workflow, WorkflowTarget};
use crate::rules;
use crate::source::{FileId, SourceDb};
use crate::types::Type;
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
        Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{} is not loaded", path.display()),
        ))
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
    /// The lowered workflows, by file.
    pub workflows: Vec<Workflow>,
    /// The lowered contract files.
    pub contracts: Vec<ContractFile>,
    /// Files that were given (not discovered through imports).
    pub given_files: Vec<FileId>,
    /// The scope each workflow was checked against, parallel to `workflows`.
    pub scopes: Vec<Scope>,
    /// The task graph of each checked workflow (those of the given files), by file.
    pub graphs: Vec<(FileId, TaskGraph)>,
}

impl Analysis {
    pub fn diagnostics_of(&self, file: FileId) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(move |diagnostic| diagnostic.file == file)
    }

    pub fn workflow_of(&self, file: FileId) -> Option<&Workflow> {
        self.workflows.iter().find(|workflow| workflow.file == file)
    }
}

/// A declaration of a contract file: its name, where it is written, and whether it is a worker
/// (otherwise a type).
type Declaration = (String, (FileId, Span), bool);

/// Whether a path names a contract file.
pub fn is_contract_path(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or_default();
    name.ends_with(".workers.yaml") || name.ends_with(".workers.yml")
}

/// Lexically normalises `a/./b/../c` to `a/c` (no file-system access).
pub fn normalize(path: &Path) -> PathBuf {
    let mut normalized = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !normalized.pop() {
                    normalized.push("..");
                }
            }
            other => normalized.push(other.as_os_str()),
        }
    }
    normalized
}

struct Lowered {
    file: FileId,
    result: LoweredFile,
    diagnostics: Vec<Diagnostic>,
}

/// The syntax trees of files at least this large are freed on another thread (a 1 MB file's
/// tree takes about 2 ms to free).
const BACKGROUND_DROP_MIN_BYTES: usize = 256 * 1024;

fn lower_one(file: FileId, path: &Path, text: &str) -> Lowered {
    let parsed = syntax::parse(file, text);
    let (result, lowering_diagnostics) = lower::lower_file(
        file,
        parsed.root.as_ref(),
        is_contract_path(path),
        text.len(),
    );
    let syntax::Parsed {
        root,
        mut diagnostics,
    } = parsed;
    // Freeing a large tree node by node takes milliseconds that nothing needs to wait for.
    if text.len() >= BACKGROUND_DROP_MIN_BYTES {
        crate::threads::drop_in_background(root);
    }
    // After a syntax error there is no tree: "empty file" would be noise.
    if !diagnostics.iter().any(|diagnostic| {
        diagnostic.code == rules::yaml_syntax::RULE.code
            || diagnostic.code == rules::yaml_limits::RULE.code
    }) {
        diagnostics.extend(lowering_diagnostics);
    }
    Lowered {
        file,
        result,
        diagnostics,
    }
}

/// Runs `work` over `items` on the machine's cores, keeping the order of results.
fn parallel_map<Item: Sync, Output: Send>(
    items: &[Item],
    work: impl Fn(&Item) -> Output + Sync,
) -> Vec<Output> {
    let threads = crate::threads::available().min(items.len().max(1));
    if threads <= 1 || items.len() < 4 {
        return items.iter().map(work).collect();
    }
    let chunk = items.len().div_ceil(threads);
    crate::threads::map_scoped(items.chunks(chunk).collect(), |part: &[Item]| {
        part.iter().map(&work).collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect()
}

/// Analyses `files` (and what they import) and returns every diagnostic.
pub fn analyze(files: Vec<InputFile>, loader: &dyn SourceLoader, config: &Config) -> Analysis {
    analyze_in_context(files, Vec::new(), loader, config)
}

/// Like [`analyze`], plus `context` files that are lowered for what they declare (workflows that
/// sub-workflow tasks call by name, their signatures) but neither checked nor reported. This is
/// what an editor passes for the rest of the workspace when it checks one open file: that file's
/// diagnostics are then the ones `wfc check` gives when it checks the whole directory.
pub fn analyze_in_context(
    files: Vec<InputFile>,
    context: Vec<InputFile>,
    loader: &dyn SourceLoader,
    config: &Config,
) -> Analysis {
    let mut analysis = Analysis::default();
    let mut path_to_file: HashMap<PathBuf, FileId> = HashMap::new();
    let mut jobs: Vec<(FileId, PathBuf)> = Vec::new();
    let given_count = files.len();
    for (index, file) in files.into_iter().chain(context).enumerate() {
        let normalized = normalize(&file.path);
        if path_to_file.contains_key(&normalized) {
            continue;
        }
        let id = analysis
            .sources
            .add(file.path.to_string_lossy().into_owned(), file.text);
        path_to_file.insert(normalized, id);
        jobs.push((id, file.path));
        if index < given_count {
            analysis.given_files.push(id);
        }
    }
    let sources = &analysis.sources;
    let mut lowered: Vec<Lowered> = parallel_map(&jobs, |(file, path)| {
        lower_one(*file, path, sources.text(*file))
    });

    // Discover imported contract files and sub-workflow paths that were not given.
    let mut next = 0;
    while next < lowered.len() {
        let base = PathBuf::from(analysis.sources.path(lowered[next].file));
        let directory = base.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut wanted: Vec<(PathBuf, String, Span, bool)> = Vec::new();
        if let LoweredFile::Workflow(workflow) = &lowered[next].result {
            for import in &workflow.imports {
                wanted.push((
                    directory.join(&import.value),
                    import.value.clone(),
                    import.span,
                    true,
                ));
            }
            for target in workflow_path_targets(workflow) {
                wanted.push((
                    directory.join(&target.name.value),
                    target.name.value.clone(),
                    target.name.span,
                    false,
                ));
            }
        }
        let importer = lowered[next].file;
        for (path, written, span, is_import) in wanted {
            let normalized = normalize(&path);
            if path_to_file.contains_key(&normalized) {
                continue;
            }
            match loader.read(&path) {
                Ok(text) => {
                    let id = analysis
                        .sources
                        .add(normalized.to_string_lossy().into_owned(), text);
                    path_to_file.insert(normalized.clone(), id);
                    let result = lower_one(id, &normalized, analysis.sources.text(id));
                    lowered.push(result);
                }
                Err(error) => {
                    let rule = if is_import {
                        &rules::import_error::RULE
                    } else {
                        &rules::unknown_sub_workflow::RULE
                    };
                    let what = if is_import {
                        "cannot read import"
                    } else {
                        "cannot read sub-workflow"
                    };
                    lowered[next].diagnostics.push(
                        Diagnostic::new(
                            rule,
                            importer,
                            span,
                            format!("{what} `{written}`"),
                        )
                        .with_label(error.to_string())
                        .with_help(format!("paths are relative to the importing file; this one resolves to `{}`", normalized.display())),
                    );
                }
            }
        }
        next += 1;
    }

    let mut diagnostics: Vec<Diagnostic> = Vec::new();
    for item in lowered {
        diagnostics.extend(item.diagnostics);
        match item.result {
            LoweredFile::Workflow(workflow) => analysis.workflows.push(*workflow),
            LoweredFile::Contracts(contracts) => analysis.contracts.push(contracts),
            LoweredFile::Nothing => {}
        }
    }

    // Contract files: their types and workers, resolved once and checked once.
    let mut contract_types: HashMap<FileId, HashMap<String, Type>> = HashMap::new();
    let mut contract_workers: HashMap<FileId, Vec<Arc<crate::model::Worker>>> = HashMap::new();
    for contracts in &analysis.contracts {
        let raw: HashMap<String, Type> = contracts
            .types
            .iter()
            .map(|declaration| (declaration.name.value.clone(), declaration.ty.clone()))
            .collect();
        let mut resolved = HashMap::new();
        for declaration in &contracts.types {
            resolved.insert(
                declaration.name.value.clone(),
                check::resolve_type(
                    &declaration.ty,
                    &raw,
                    contracts.file,
                    Some(&mut diagnostics),
                ),
            );
        }
        let mut workers = Vec::new();
        for worker in &contracts.workers {
            let mut worker = worker.clone();
            worker.input = check::resolve_object(&worker.input, &raw, Some(&mut diagnostics));
            worker.output = check::resolve_object(&worker.output, &raw, Some(&mut diagnostics));
            check::check_worker(&worker, &mut diagnostics);
            workers.push(Arc::new(worker));
        }
        contract_types.insert(contracts.file, resolved);
        contract_workers.insert(contracts.file, workers);
    }

    // Every declaration of each contract file: (name, where, is a worker).
    let contract_declarations: HashMap<FileId, Vec<Declaration>> = analysis
        .contracts
        .iter()
        .map(|contracts| {
            let workers = contracts.workers.iter().map(|worker| {
                (
                    worker.name.value.clone(),
                    (contracts.file, worker.name.span),
                    true,
                )
            });
            let types = contracts.types.iter().map(|declaration| {
                (
                    declaration.name.value.clone(),
                    (contracts.file, declaration.name.span),
                    false,
                )
            });
            (contracts.file, workers.chain(types).collect())
        })
        .collect();
    let mut incomplete: HashSet<FileId> = HashSet::new();

    // Per-workflow scopes (without sub-workflow signatures yet).
    let mut scopes: Vec<Scope> = Vec::with_capacity(analysis.workflows.len());
    for workflow in &analysis.workflows {
        let directory = PathBuf::from(analysis.sources.path(workflow.file))
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut scope = Scope::default();
        let imported_pairs: Vec<(FileId, &crate::model::Spanned<String>)> = workflow
            .imports
            .iter()
            .filter_map(|import| {
                path_to_file
                    .get(&normalize(&directory.join(&import.value)))
                    .map(|file| (*file, import))
            })
            .collect();
        let imported: Vec<FileId> = imported_pairs.iter().map(|(file, _)| *file).collect();
        if imported.len() < workflow.imports.len() {
            // Unknown workers and types are then consequences of the unreadable import.
            incomplete.insert(workflow.file);
        }
        // Where each visible worker and type comes from, to report duplicates.
        let mut worker_origins: HashMap<String, (FileId, Span)> = HashMap::new();
        let mut type_origins: HashMap<String, (FileId, Span)> = HashMap::new();
        for (file, import) in &imported_pairs {
            if let Some(declarations) = contract_declarations.get(file) {
                for (name, origin, is_worker) in declarations {
                    let origins = if *is_worker {
                        &mut worker_origins
                    } else {
                        &mut type_origins
                    };
                    if let Some(first) = origins.get(name) {
                        if first != origin {
                            let what = if *is_worker { "worker" } else { "type" };
                            diagnostics.push(
                                Diagnostic::new(
                                    &rules::duplicate_declaration::RULE,
                                    workflow.file,
                                    import.span,
                                    format!("{what} `{name}` is declared twice"),
                                )
                                .with_label(format!("this import declares `{name}` again"))
                                .with_secondary(first.0, first.1, "first declared here")
                                .with_secondary(origin.0, origin.1, "declared again here")
                                .with_help("rename one of the declarations, or remove one import"),
                            );
                        }
                    } else {
                        origins.insert(name.clone(), *origin);
                    }
                }
            }
            if let Some(types) = contract_types.get(file) {
                scope
                    .types
                    .extend(types.iter().map(|(name, ty)| (name.clone(), ty.clone())));
            }
            if let Some(workers) = contract_workers.get(file) {
                scope.workers.extend(
                    workers
                        .iter()
                        .map(|worker| (worker.name.value.clone(), worker.clone())),
                );
            }
            if analysis.workflows.iter().any(|other| other.file == *file) {
                diagnostics.push(
                    Diagnostic::new(&rules::import_error::RULE, workflow.file, import.span, "imported file is a workflow")
                        .with_help("imports bring in contract files (`*.workers.yaml`); call another workflow with `sub_workflow:`"),
                );
            }
        }
        let local = workflow
            .workers
            .iter()
            .map(|worker| (&worker.name, &worker_origins, "worker"))
            .chain(
                workflow
                    .types
                    .iter()
                    .map(|declaration| (&declaration.name, &type_origins, "type")),
            );
        for (name, origins, what) in local {
            if let Some(first) = origins.get(&name.value) {
                diagnostics.push(
                    Diagnostic::new(&rules::duplicate_declaration::RULE, workflow.file, name.span, format!("{what} `{}` is declared twice", name.value))
                        .with_label("also declared by an import")
                        .with_secondary(first.0, first.1, "first declared here")
                        .with_help("rename one of the two; a task must be checked against exactly one declaration"),
                );
            }
        }
        let mut local_types: HashMap<String, Type> = scope.types.clone();
        local_types.extend(
            workflow
                .types
                .iter()
                .map(|declaration| (declaration.name.value.clone(), declaration.ty.clone())),
        );
        for declaration in &workflow.types {
            let resolved = check::resolve_type(
                &declaration.ty,
                &local_types,
                workflow.file,
                Some(&mut diagnostics),
            );
            scope.types.insert(declaration.name.value.clone(), resolved);
        }
        for worker in &workflow.workers {
            let mut worker = worker.clone();
            worker.input =
                check::resolve_object(&worker.input, &local_types, Some(&mut diagnostics));
            worker.output =
                check::resolve_object(&worker.output, &local_types, Some(&mut diagnostics));
            scope
                .workers
                .insert(worker.name.value.clone(), Arc::new(worker));
        }
        // Named types used in the workflow itself (inputs, outputs, task outputs) are resolved by
        // the checker against `scope.types`; unknown names are reported there.
        scope.types = local_types
            .into_iter()
            .map(|(name, ty)| {
                let resolved = scope.types.get(&name).cloned().unwrap_or(ty);
                (name, resolved)
            })
            .collect();
        scopes.push(scope);
    }

    // Sub-workflow signatures, computed in dependency order (cycles give `any` outputs).
    let by_name: HashMap<&str, usize> = analysis
        .workflows
        .iter()
        .enumerate()
        .filter_map(|(index, workflow)| {
            workflow
                .name
                .as_ref()
                .map(|name| (name.value.as_str(), index))
        })
        .collect();
    let by_file: HashMap<FileId, usize> = analysis
        .workflows
        .iter()
        .enumerate()
        .map(|(index, workflow)| (workflow.file, index))
        .collect();
    let mut signatures: Vec<Option<Arc<WorkflowSignature>>> = vec![None; analysis.workflows.len()];
    let resolve_target = |workflow: &Workflow, target: &WorkflowTarget| -> Option<usize> {
        if target.name.value.ends_with(".yaml") || target.name.value.ends_with(".yml") {
            let directory = PathBuf::from(analysis.sources.path(workflow.file))
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            path_to_file
                .get(&normalize(&directory.join(&target.name.value)))
                .and_then(|file| by_file.get(file).copied())
        } else {
            by_name.get(target.name.value.as_str()).copied()
        }
    };
    let children: Vec<Vec<(String, usize)>> = analysis
        .workflows
        .iter()
        .map(|workflow| {
            all_targets(workflow)
                .into_iter()
                .filter_map(|target| {
                    resolve_target(workflow, target).map(|index| (target.name.value.clone(), index))
                })
                .collect()
        })
        .collect();
    // Only workflows that another one calls need a signature here: checking infers each checked
    // workflow's own (`TaskGraph::signature`), and inferring it costs a pass over every task
    // (2–3 ms on one thread at 10,000 tasks).
    let mut called = vec![false; analysis.workflows.len()];
    for (_, child) in children.iter().flatten() {
        called[*child] = true;
    }
    let order = dependency_order(&children);
    for index in order.into_iter().filter(|index| called[*index]) {
        let mut scope = scopes[index].clone();
        for (written, child) in &children[index] {
            if let Some(signature) = &signatures[*child] {
                scope.workflows.insert(written.clone(), signature.clone());
            }
        }
        let workflow = &analysis.workflows[index];
        let signature = WorkflowChecker::new(
            workflow,
            &scope,
            analysis.sources.text(workflow.file),
            false,
        )
        .signature();
        signatures[index] = Some(Arc::new(signature));
        scopes[index] = scope;
    }
    // Now every scope sees every child's signature (recursion included).
    for (index, scope) in scopes.iter_mut().enumerate() {
        for (written, child) in &children[index] {
            if let Some(signature) = &signatures[*child] {
                scope
                    .workflows
                    .entry(written.clone())
                    .or_insert_with(|| signature.clone());
            }
        }
        for (name, other) in &by_name {
            if let Some(signature) = &signatures[*other] {
                scope
                    .workflows
                    .entry((*name).to_string())
                    .or_insert_with(|| signature.clone());
            }
        }
    }
    // Duplicate workflow names in one project.
    let mut seen_names: HashMap<&str, &Workflow> = HashMap::new();
    for workflow in &analysis.workflows {
        if let Some(name) = &workflow.name {
            if let Some(first) = seen_names.get(name.value.as_str()) {
                let same_version = first.version.as_ref().map(|version| version.value)
                    == workflow.version.as_ref().map(|version| version.value);
                if same_version {
                    diagnostics.push(
                        Diagnostic::new(
                            &rules::duplicate_declaration::RULE,
                            workflow.file,
                            name.span,
                            format!("workflow `{}` is defined twice", name.value),
                        )
                        .with_label("same name and version as another file")
                        .with_secondary(
                            first.file,
                            first
                                .name
                                .as_ref()
                                .map_or(Span::default(), |name| name.span),
                            "first defined here",
                        )
                        .with_help("give one of them another name or version"),
                    );
                }
            } else {
                seen_names.insert(name.value.as_str(), workflow);
            }
        }
    }

    let given: HashSet<FileId> = analysis.given_files.iter().copied().collect();
    let workflows = &analysis.workflows;
    let sources = &analysis.sources;
    let indices: Vec<usize> = (0..workflows.len())
        .filter(|index| given.contains(&workflows[*index].file))
        .collect();
    let checked: Vec<(Vec<Diagnostic>, TaskGraph)> = parallel_map(&indices, |index| {
        WorkflowChecker::new(
            &workflows[*index],
            &scopes[*index],
            sources.text(workflows[*index].file),
            true,
        )
        .check_with_graph()
    });
    for (index, (found, graph)) in indices.iter().zip(checked) {
        diagnostics.extend(found);
        analysis.graphs.push((workflows[*index].file, graph));
    }
    // Report only on files the user asked about; imported files are checked when given. In a
    // file with an unreadable import, unknown workers and types are that import's consequences.
    diagnostics.retain(|diagnostic| {
        given.contains(&diagnostic.file)
            && !(incomplete.contains(&diagnostic.file)
                && (diagnostic.code == rules::unknown_worker::RULE.code
                    || diagnostic.code == rules::unknown_type::RULE.code))
    });
    suppression::apply(&analysis.sources, config, &mut diagnostics);
    sort_diagnostics(&mut diagnostics);
    diagnostics.dedup();
    cap_per_file(&mut diagnostics);
    analysis.diagnostics = diagnostics;
    analysis.scopes = scopes;
    analysis
}

/// Most diagnostics reported for one file; past it the file is generated or garbage, and a
/// million lines of output would help nobody (nor finish quickly).
pub const MAXIMUM_DIAGNOSTICS_PER_FILE: usize = 1_000;

/// Keeps the first [`MAXIMUM_DIAGNOSTICS_PER_FILE`] diagnostics of each file (they are sorted by
/// file) and says how many were left out.
fn cap_per_file(diagnostics: &mut Vec<Diagnostic>) {
    let mut kept: Vec<Diagnostic> =
        Vec::with_capacity(diagnostics.len().min(4 * MAXIMUM_DIAGNOSTICS_PER_FILE));
    let mut index = 0;
    while index < diagnostics.len() {
        let file = diagnostics[index].file;
        let end = diagnostics[index..]
            .iter()
            .position(|diagnostic| diagnostic.file != file)
            .map_or(diagnostics.len(), |offset| index + offset);
        let count = end - index;
        kept.extend(
            diagnostics[index..end]
                .iter()
                .take(MAXIMUM_DIAGNOSTICS_PER_FILE)
                .cloned(),
        );
        if count > MAXIMUM_DIAGNOSTICS_PER_FILE {
            let last = diagnostics[index + MAXIMUM_DIAGNOSTICS_PER_FILE].span;
            kept.push(
                Diagnostic::new(
                    &rules::yaml_limits::RULE,
                    file,
                    Span::empty_at(last.start as usize),
                    "too many diagnostics in this file",
                )
                .with_label(format!(
                    "{} more not shown",
                    count - MAXIMUM_DIAGNOSTICS_PER_FILE
                ))
                .with_help("fix the first ones; the rest are often consequences"),
            );
        }
        index = end;
    }
    *diagnostics = kept;
}

fn all_targets(workflow: &Workflow) -> Vec<&WorkflowTarget> {
    workflow
        .tasks
        .iter()
        .filter_map(|task| match &task.kind {
            TaskKind::SubWorkflow { target } | TaskKind::StartWorkflow { target, .. } => {
                Some(target)
            }
            TaskKind::ForEach {
                target: ForEachTarget::SubWorkflow(target),
                ..
            } => Some(target),
            _ => None,
        })
        .collect()
}

fn workflow_path_targets(workflow: &Workflow) -> Vec<&WorkflowTarget> {
    all_targets(workflow)
        .into_iter()
        .filter(|target| {
            target.name.value.ends_with(".yaml") || target.name.value.ends_with(".yml")
        })
        .collect()
}

/// Children before parents; members of a cycle in any order.
fn dependency_order(children: &[Vec<(String, usize)>]) -> Vec<usize> {
    let mut order = Vec::with_capacity(children.len());
    let mut state = vec![0u8; children.len()]; // 0 new, 1 in progress, 2 done
    for start in 0..children.len() {
        if state[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some((node, next_child)) = stack.pop() {
            if let Some((_, child)) = children[node].get(next_child) {
                stack.push((node, next_child + 1));
                if state[*child] == 0 {
                    state[*child] = 1;
                    stack.push((*child, 0));
                }
            } else {
                state[node] = 2;
                order.push(node);
            }
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(path: &str, text: &str) -> InputFile {
        InputFile {
            path: path.into(),
            text: text.to_string(),
        }
    }

    #[test]
    fn context_files_resolve_names_but_are_neither_checked_nor_reported() {
        let parent =
            "workflow: parent\nowner: a@example.com\ntasks:\n  call:\n    sub_workflow: child\n";
        let child = "workflow: child\ntasks:\n  nothing: {worker: missing}\n";
        let alone = analyze(
            vec![input("parent.wf.yaml", parent)],
            &NoLoader,
            &Config::default(),
        );
        assert!(
            alone
                .diagnostics
                .iter()
                .any(|diagnostic| diagnostic.code == rules::unknown_sub_workflow::RULE.code)
        );
        let in_context = analyze_in_context(
            vec![input("parent.wf.yaml", parent)],
            vec![input("child.wf.yaml", child)],
            &NoLoader,
            &Config::default(),
        );
        assert_eq!(in_context.diagnostics, Vec::new());
        assert_eq!(in_context.given_files, [FileId(0)]);
        assert_eq!(in_context.workflows.len(), 2);
    }
}
