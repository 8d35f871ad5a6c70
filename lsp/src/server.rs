//! The protocol handlers: document synchronisation, diagnostics, and the dispatch of requests to
//! the feature modules.
//!
//! Handlers run concurrently, so every change to the state happens synchronously, under one
//! short lock, before the handler's first `await`: a `didChange` applies its text (or drops it
//! when its version is not newer) the moment it is polled, in the order the messages arrived.
//! Analyses run one at a time (see [`analyse_now`]) and are stored and published only if their
//! version is still the document's current one; one overtaken by a newer edit is skipped. Requests answer
//! from an up-to-date snapshot (analysing the current text first when an edit is pending) and,
//! while the YAML is broken, from the last snapshot that parsed.
//!
//! Every feature runs inside [`guarded`]: a panic is caught, logged on stderr (the editor's LSP
//! log) and answered with an internal error; the server keeps running.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use tower_lsp_server::jsonrpc::{self, ErrorCode};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};
use wfc_compiler::project::{is_contract_path, normalize};

use crate::convert::{self, Encoding};
use crate::features;
use crate::workspace::{self, Document, Job, Overlay, Snapshot, WorkspaceIndex};

/// Everything the handlers share.
#[derive(Debug, Default)]
struct State {
    encoding: Encoding,
    roots: Vec<PathBuf>,
    documents: HashMap<Uri, Document>,
    snapshots: HashMap<Uri, Arc<Snapshot>>,
    /// The newest snapshot of each document whose YAML parsed.
    last_parsed: HashMap<Uri, Arc<Snapshot>>,
    index: WorkspaceIndex,
}

impl State {
    fn job(&self, uri: &Uri) -> Option<Job> {
        let document = self.documents.get(uri)?;
        let overlay = Overlay {
            open: self
                .documents
                .values()
                .map(|open| (normalize(&open.path), open.text.clone()))
                .collect(),
        };
        let context = if is_contract_path(&document.path) {
            Vec::new()
        } else {
            self.index.called_by(&document.text)
        };
        Some(Job {
            version: document.version,
            path: document.path.clone(),
            text: document.text.clone(),
            overlay,
            context,
        })
    }

    /// Stores a snapshot if it is of the document's current version; returns whether it did.
    fn store(&mut self, uri: &Uri, snapshot: Arc<Snapshot>) -> bool {
        let current = self.documents.get(uri).map(|document| document.version);
        if current != Some(snapshot.version) {
            return false;
        }
        if snapshot.parsed() {
            self.last_parsed.insert(uri.clone(), snapshot.clone());
        }
        self.snapshots.insert(uri.clone(), snapshot);
        true
    }
}

/// The language server.
#[derive(Debug)]
pub struct Backend {
    client: Client,
    state: Arc<Mutex<State>>,
    /// One analysis at a time: while the user types, analyses queue behind this and the ones
    /// overtaken by a newer edit are skipped, instead of several running side by side (each
    /// holding a whole analysis in memory) on a machine shared with the editor.
    analyses: tokio::sync::Semaphore,
}

/// Analyses a job on the protocol thread; `None` if the analysis panicked (logged).
///
/// Analyses run where the protocol runs, one at a time: on another thread the allocator kept
/// a second heap's worth of memory (20 MiB more at 10,000 lines), and a request arriving during
/// the analysis of a pending edit has to wait for it anyway. The text's YAML is checked first
/// (streaming, no tree): when it is well-formed, the snapshots the new one replaces are let go
/// of before the analysis, so that one analysis is in memory at a time (77 → 45 MiB at 10,000
/// lines); when it is not, the last parsed snapshot is kept for completion and hover.
fn analyse_now(state: &Mutex<State>, uri: &Uri, job: Job) -> Option<Arc<Snapshot>> {
    let path = job.path.clone();
    let snapshot = guarded("analysis", || {
        let parses = wfc_compiler::syntax::is_well_formed(&job.text);
        {
            let mut state = state
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            state.snapshots.remove(uri);
            if parses {
                state.last_parsed.remove(uri);
            }
        }
        workspace::analyse(job)
    })
    .ok();
    if snapshot.is_none() {
        eprintln!("wfc lsp: the analysis of {} failed", path.display());
    }
    snapshot.map(Arc::new)
}

/// Runs `work`, turning a panic into a logged internal error.
pub fn guarded<T>(what: &str, work: impl FnOnce() -> T) -> jsonrpc::Result<T> {
    catch_unwind(AssertUnwindSafe(work)).map_err(|payload| {
        let reason = payload
            .downcast_ref::<&str>()
            .map(|text| (*text).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        eprintln!("wfc lsp: internal error in {what}: {reason}");
        jsonrpc::Error {
            code: ErrorCode::InternalError,
            message: format!("internal error in {what}: {reason}").into(),
            data: None,
        }
    })
}

/// The path a document URI names (non-file URIs keep their path part, so that an untitled
/// buffer is still analysed).
fn path_of(uri: &Uri) -> PathBuf {
    uri.to_file_path()
        .map(|path| path.into_owned())
        .unwrap_or_else(|| PathBuf::from(uri.path().as_str()))
}

impl Backend {
    pub fn new(client: Client) -> Backend {
        Backend {
            client,
            state: Arc::new(Mutex::new(State::default())),
            analyses: tokio::sync::Semaphore::new(1),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A handler that panicked while holding the lock left consistent data (every update is
        // a single insert); keep serving.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Analyses the current version of a document, stores and publishes the result unless a
    /// newer version arrived meanwhile. Without `again`, a version already analysed is not
    /// analysed twice (a queued refresh overtaken by a newer one); `again` is for documents
    /// whose text did not change but whose imports did.
    async fn refresh(&self, uri: &Uri, again: bool) {
        let Ok(_permit) = self.analyses.acquire().await else {
            return;
        };
        let job = {
            let state = self.state();
            let current = state.documents.get(uri).map(|document| document.version);
            let analysed = state.snapshots.get(uri).map(|snapshot| snapshot.version);
            if !again && current.is_some() && current == analysed {
                return;
            }
            state.job(uri)
        };
        let Some(job) = job else {
            return;
        };
        if let Some(snapshot) = analyse_now(&self.state, uri, job) {
            self.store_and_publish(uri, snapshot).await;
        }
    }

    /// Stores a snapshot and publishes its diagnostics, unless a newer version arrived.
    async fn store_and_publish(&self, uri: &Uri, snapshot: Arc<Snapshot>) {
        let published = {
            let mut state = self.state();
            let encoding = state.encoding;
            state.store(uri, snapshot.clone()).then(|| {
                snapshot
                    .analysis
                    .diagnostics_of(snapshot.file)
                    .filter_map(|diagnostic| {
                        convert::diagnostic(&snapshot.analysis.sources, diagnostic, encoding)
                    })
                    .collect::<Vec<_>>()
            })
        };
        if let Some(diagnostics) = published {
            self.client
                .publish_diagnostics(uri.clone(), diagnostics, Some(snapshot.version))
                .await;
        }
    }

    /// Re-checks the open documents that read `path` (a contract or sub-workflow that changed).
    async fn refresh_readers_of(&self, changed: &Uri) {
        let path = path_of(changed);
        let readers: Vec<Uri> = {
            let state = self.state();
            state
                .snapshots
                .iter()
                .filter(|(uri, snapshot)| *uri != changed && snapshot.reads(&path))
                .map(|(uri, _)| uri.clone())
                .collect()
        };
        for reader in readers {
            self.refresh(&reader, true).await;
        }
    }

    async fn refresh_all(&self) {
        let open: Vec<Uri> = self.state().documents.keys().cloned().collect();
        for uri in open {
            self.refresh(&uri, true).await;
        }
    }

    /// The snapshot of the document's current text (analysing it now if an edit is pending),
    /// and the newest one that parsed (the same one unless the YAML is broken).
    async fn snapshots(&self, uri: &Uri) -> Option<(Arc<Snapshot>, Arc<Snapshot>)> {
        let fresh = |state: &State| -> Option<Arc<Snapshot>> {
            let version = state.documents.get(uri)?.version;
            state
                .snapshots
                .get(uri)
                .filter(|snapshot| snapshot.version == version)
                .cloned()
        };
        let ready = fresh(&self.state());
        let current = match ready {
            Some(snapshot) => snapshot,
            None => {
                // An edit is pending: wait for the analysis under way, or run one.
                let _permit = self.analyses.acquire().await.ok()?;
                let (ready, job) = {
                    let state = self.state();
                    (fresh(&state), state.job(uri))
                };
                match ready {
                    Some(snapshot) => snapshot,
                    None => {
                        // Published too: the refresh queued for this version will find it done.
                        let snapshot = analyse_now(&self.state, uri, job?)?;
                        self.store_and_publish(uri, snapshot.clone()).await;
                        snapshot
                    }
                }
            }
        };
        let parsed = if current.parsed() {
            current.clone()
        } else {
            self.state()
                .last_parsed
                .get(uri)
                .cloned()
                .unwrap_or_else(|| current.clone())
        };
        Some((current, parsed))
    }

    /// Analyses of the workspace's workflow files that are not open, from the disk.
    fn closed_workflows(&self) -> Vec<Arc<Snapshot>> {
        let jobs: Vec<Job> = {
            let state = self.state();
            let open: Vec<PathBuf> = state
                .documents
                .values()
                .map(|document| normalize(&document.path))
                .collect();
            let overlay = Overlay {
                open: state
                    .documents
                    .values()
                    .map(|document| (normalize(&document.path), document.text.clone()))
                    .collect(),
            };
            state
                .index
                .workflows
                .iter()
                .filter(|(_, path)| !open.contains(&normalize(path)))
                .filter_map(|(_, path)| {
                    let text = std::fs::read_to_string(path).ok()?;
                    Some(Job {
                        version: 0,
                        path: path.clone(),
                        context: state.index.called_by(&text),
                        text: Arc::from(text),
                        overlay: overlay.clone(),
                    })
                })
                .collect()
        };
        jobs.into_iter()
            .filter_map(|job| guarded("analysis", || workspace::analyse(job)).ok())
            .map(Arc::new)
            .collect()
    }

    /// Whether the name under the cursor is a worker or a type (used beyond this document).
    async fn names_shared_declaration(&self, uri: &Uri, position: Position) -> bool {
        self.with_snapshots(uri, "references", |context| {
            Some(features::navigation::is_shared_name(context, position))
        })
        .await
        .ok()
        .flatten()
        .unwrap_or(false)
    }

    fn encoding(&self) -> Encoding {
        self.state().encoding
    }

    /// Runs a feature on the document's snapshots inside [`guarded`].
    async fn with_snapshots<T>(
        &self,
        uri: &Uri,
        what: &str,
        feature: impl FnOnce(&features::Context) -> Option<T>,
    ) -> jsonrpc::Result<Option<T>> {
        self.with_workspace(uri, what, false, feature).await
    }

    /// Like [`Backend::with_snapshots`]; with `closed`, the workflow files of the workspace that
    /// are not open are analysed too and given as other documents (references and renames of
    /// workers and types reach every file that uses them).
    async fn with_workspace<T>(
        &self,
        uri: &Uri,
        what: &str,
        closed: bool,
        feature: impl FnOnce(&features::Context) -> Option<T>,
    ) -> jsonrpc::Result<Option<T>> {
        let Some((current, parsed)) = self.snapshots(uri).await else {
            return Ok(None);
        };
        let mut others: Vec<Arc<Snapshot>> = {
            let state = self.state();
            state
                .snapshots
                .iter()
                .filter(|(other, _)| *other != uri)
                .map(|(_, snapshot)| snapshot.clone())
                .collect()
        };
        if closed {
            others.extend(self.closed_workflows());
        }
        let index = self.state().index.clone();
        let context = features::Context {
            uri: uri.clone(),
            current: &current,
            parsed: &parsed,
            others: &others,
            encoding: self.encoding(),
            index: &index,
        };
        guarded(what, || feature(&context))
    }
}

/// The semantic token types, in the order their indices refer to.
pub const TOKEN_TYPES: &[SemanticTokenType] = &[
    SemanticTokenType::OPERATOR,
    SemanticTokenType::KEYWORD,
    SemanticTokenType::VARIABLE,
    SemanticTokenType::MACRO,
    SemanticTokenType::PROPERTY,
];

fn capabilities(encoding: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(encoding.kind()),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::FULL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..TextDocumentSyncOptions::default()
            },
        )),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec!["{".into(), ".".into()]),
            ..CompletionOptions::default()
        }),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        })),
        document_symbol_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(
            SemanticTokensOptions {
                legend: SemanticTokensLegend {
                    token_types: TOKEN_TYPES.to_vec(),
                    token_modifiers: Vec::new(),
                },
                full: Some(SemanticTokensFullOptions::Bool(true)),
                range: Some(false),
                ..SemanticTokensOptions::default()
            },
        )),
        inlay_hint_provider: Some(OneOf::Left(true)),
        folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        ..ServerCapabilities::default()
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> jsonrpc::Result<InitializeResult> {
        let encoding = Encoding::negotiate(
            params
                .capabilities
                .general
                .as_ref()
                .and_then(|general| general.position_encodings.as_deref()),
        );
        let mut roots: Vec<PathBuf> = params
            .workspace_folders
            .iter()
            .flatten()
            .filter_map(|folder| folder.uri.to_file_path().map(|path| path.into_owned()))
            .collect();
        #[allow(deprecated)]
        if roots.is_empty()
            && let Some(root) = params
                .root_uri
                .as_ref()
                .and_then(|uri| uri.to_file_path().map(|path| path.into_owned()))
        {
            roots.push(root);
        }
        let index = WorkspaceIndex::scan(&roots);
        {
            let mut state = self.state();
            state.encoding = encoding;
            state.roots = roots;
            state.index = index;
        }
        Ok(InitializeResult {
            capabilities: capabilities(encoding),
            server_info: Some(ServerInfo {
                name: "wfc".to_string(),
                version: Some(env!("CARGO_PKG_VERSION").to_string()),
            }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        // Files changed outside the editor (a `git checkout`, another tool) are picked up
        // through the client's watcher where it offers one.
        let registration = Registration {
            id: "wfc-watched-files".to_string(),
            method: "workspace/didChangeWatchedFiles".to_string(),
            register_options: serde_json::to_value(DidChangeWatchedFilesRegistrationOptions {
                watchers: [
                    "**/*.wf.yaml",
                    "**/*.wf.yml",
                    "**/*.workers.yaml",
                    "**/*.workers.yml",
                    "**/wfc.toml",
                ]
                .iter()
                .map(|glob| FileSystemWatcher {
                    glob_pattern: GlobPattern::String((*glob).to_string()),
                    kind: None,
                })
                .collect(),
            })
            .ok(),
        };
        if let Err(error) = self.client.register_capability(vec![registration]).await {
            eprintln!("wfc lsp: no file watching: {}", error.message);
        }
    }

    async fn shutdown(&self) -> jsonrpc::Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let uri = params.text_document.uri;
        {
            let mut state = self.state();
            let path = path_of(&uri);
            state.index.update(&path, Some(&params.text_document.text));
            state.documents.insert(
                uri.clone(),
                Document {
                    version: params.text_document.version,
                    text: Arc::from(params.text_document.text),
                    path,
                },
            );
        }
        self.refresh(&uri, false).await;
        self.refresh_readers_of(&uri).await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let version = params.text_document.version;
        let applied = {
            let mut state = self.state();
            let document = state.documents.get_mut(&uri);
            match (document, params.content_changes.into_iter().last()) {
                (Some(document), Some(change)) if version > document.version => {
                    // Full synchronisation: the last change holds the whole text.
                    document.version = version;
                    document.text = Arc::from(change.text);
                    let (path, text) = (document.path.clone(), document.text.clone());
                    state.index.update(&path, Some(&text));
                    true
                }
                _ => false,
            }
        };
        if !applied {
            eprintln!(
                "wfc lsp: dropped stale version {version} of {}",
                uri.as_str()
            );
            return;
        }
        self.refresh(&uri, false).await;
        self.refresh_readers_of(&uri).await;
    }

    async fn did_save(&self, _: DidSaveTextDocumentParams) {}

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        {
            let mut state = self.state();
            if let Some(document) = state.documents.remove(&uri) {
                let on_disk = std::fs::read_to_string(&document.path).ok();
                state.index.update(&document.path, on_disk.as_deref());
            }
            state.snapshots.remove(&uri);
            state.last_parsed.remove(&uri);
        }
        self.client
            .publish_diagnostics(uri.clone(), Vec::new(), None)
            .await;
        // Readers now see the file as it is on disk.
        self.refresh_readers_of(&uri).await;
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        {
            let mut state = self.state();
            for change in &params.changes {
                let path = path_of(&change.uri);
                if state.documents.contains_key(&change.uri) {
                    continue;
                }
                let text = std::fs::read_to_string(&path).ok();
                state.index.update(&path, text.as_deref());
            }
        }
        self.refresh_all().await;
    }

    async fn completion(
        &self,
        params: CompletionParams,
    ) -> jsonrpc::Result<Option<CompletionResponse>> {
        let position = params.text_document_position.position;
        let uri = params.text_document_position.text_document.uri;
        self.with_snapshots(&uri, "completion", |context| {
            features::completion::complete(context, position)
        })
        .await
    }

    async fn hover(&self, params: HoverParams) -> jsonrpc::Result<Option<Hover>> {
        let position = params.text_document_position_params.position;
        let uri = params.text_document_position_params.text_document.uri;
        self.with_snapshots(&uri, "hover", |context| {
            features::hover::hover(context, position)
        })
        .await
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> jsonrpc::Result<Option<GotoDefinitionResponse>> {
        let position = params.text_document_position_params.position;
        let uri = params.text_document_position_params.text_document.uri;
        self.with_snapshots(&uri, "definition", |context| {
            features::navigation::definition(context, position).map(GotoDefinitionResponse::Scalar)
        })
        .await
    }

    async fn references(&self, params: ReferenceParams) -> jsonrpc::Result<Option<Vec<Location>>> {
        let position = params.text_document_position.position;
        let uri = params.text_document_position.text_document.uri;
        let include_declaration = params.context.include_declaration;
        let closed = self.names_shared_declaration(&uri, position).await;
        self.with_workspace(&uri, "references", closed, |context| {
            features::navigation::references(context, position, include_declaration)
        })
        .await
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> jsonrpc::Result<Option<PrepareRenameResponse>> {
        let uri = params.text_document.uri;
        self.with_snapshots(&uri, "rename", |context| {
            features::navigation::prepare_rename(context, params.position)
        })
        .await
    }

    async fn rename(&self, params: RenameParams) -> jsonrpc::Result<Option<WorkspaceEdit>> {
        let position = params.text_document_position.position;
        let uri = params.text_document_position.text_document.uri;
        let closed = self.names_shared_declaration(&uri, position).await;
        let result = self
            .with_workspace(&uri, "rename", closed, |context| {
                Some(features::navigation::rename(
                    context,
                    position,
                    &params.new_name,
                ))
            })
            .await?;
        match result {
            Some(Err(message)) => Err(jsonrpc::Error::invalid_params(message)),
            Some(Ok(edit)) => Ok(edit),
            None => Ok(None),
        }
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> jsonrpc::Result<Option<DocumentSymbolResponse>> {
        self.with_snapshots(&params.text_document.uri, "document symbols", |context| {
            features::outline::symbols(context).map(DocumentSymbolResponse::Nested)
        })
        .await
    }

    async fn folding_range(
        &self,
        params: FoldingRangeParams,
    ) -> jsonrpc::Result<Option<Vec<FoldingRange>>> {
        self.with_snapshots(&params.text_document.uri, "folding ranges", |context| {
            features::outline::folding_ranges(context)
        })
        .await
    }

    async fn code_action(
        &self,
        params: CodeActionParams,
    ) -> jsonrpc::Result<Option<CodeActionResponse>> {
        let uri = params.text_document.uri.clone();
        self.with_snapshots(&uri, "code actions", |context| {
            features::actions::code_actions(context, &params.context.diagnostics)
        })
        .await
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> jsonrpc::Result<Option<SemanticTokensResult>> {
        self.with_snapshots(&params.text_document.uri, "semantic tokens", |context| {
            features::highlight::semantic_tokens(context).map(SemanticTokensResult::Tokens)
        })
        .await
    }

    async fn formatting(
        &self,
        params: DocumentFormattingParams,
    ) -> jsonrpc::Result<Option<Vec<TextEdit>>> {
        self.with_snapshots(&params.text_document.uri, "formatting", |context| {
            features::formatting::format(context)
        })
        .await
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> jsonrpc::Result<Option<Vec<InlayHint>>> {
        self.with_snapshots(&params.text_document.uri, "inlay hints", |context| {
            features::highlight::inlay_hints(context, params.range)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_internal_error() {
        let answer: jsonrpc::Result<()> = guarded("a test", || panic!("boom"));
        let error = answer.expect_err("the panic is caught");
        assert_eq!(error.code, ErrorCode::InternalError);
        assert_eq!(error.message, "internal error in a test: boom");
        assert_eq!(guarded("a test", || 7).expect("no panic"), 7);
    }
}
