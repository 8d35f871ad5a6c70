//! The language features, one module per family. Each is a plain function from a [`Context`]
//! (the document's snapshots) and the request's parameters to the protocol's answer: no state,
//! no I/O, so the in-process tests exercise exactly what the editor gets.

pub mod actions;
pub mod completion;
pub mod formatting;
pub mod highlight;
pub mod hover;
pub mod navigation;
pub mod outline;

use std::sync::Arc;

use tower_lsp_server::ls_types::{Position, Uri};
use wfc_compiler::check::WorkflowChecker;
use wfc_compiler::model::{TaskId, Workflow};

use crate::convert::{Encoding, Text};
use crate::workspace::{Snapshot, WorkspaceIndex};

/// What a feature may look at.
#[derive(Debug)]
pub struct Context<'a> {
    pub uri: Uri,
    /// The analysis of the document's current text.
    pub current: &'a Snapshot,
    /// The newest analysis whose YAML parsed (the current one unless the text is broken).
    pub parsed: &'a Snapshot,
    /// The other open documents' current analyses.
    pub others: &'a [Arc<Snapshot>],
    pub encoding: Encoding,
    pub index: &'a WorkspaceIndex,
}

impl<'a> Context<'a> {
    pub fn text_of(&self, snapshot: &'a Snapshot) -> Text<'a> {
        Text::of(&snapshot.analysis.sources, snapshot.file, self.encoding).unwrap_or(Text {
            text: "",
            index: &EMPTY_INDEX,
            encoding: self.encoding,
        })
    }

    /// The current text.
    pub fn text(&self) -> Text<'a> {
        self.text_of(self.current)
    }

    /// A position of the current text as an offset into the last parsed text (the same line
    /// and column: while the YAML is broken, edits are usually on the cursor's line).
    pub fn parsed_offset(&self, position: Position) -> usize {
        self.text_of(self.parsed).offset(position)
    }

    /// The workflow of the last parsed text with a checker for it (type queries).
    pub fn checker(&self) -> Option<(&'a Workflow, WorkflowChecker<'a>)> {
        let workflow = self.parsed.workflow()?;
        let scope = self.parsed.scope()?;
        Some((
            workflow,
            WorkflowChecker::new(workflow, scope, self.parsed.text(), false),
        ))
    }

    /// The tasks readable from the task holding `offset` of the parsed text.
    pub fn readable_tasks(&self, reader: Option<TaskId>) -> Vec<TaskId> {
        let (Some(workflow), Some(scope)) = (self.parsed.workflow(), self.parsed.scope()) else {
            return Vec::new();
        };
        wfc_compiler::query::readable_tasks(
            workflow,
            scope,
            self.parsed.text(),
            self.parsed.graph(),
            reader,
        )
    }
}

static EMPTY_INDEX: std::sync::LazyLock<wfc_compiler::source::LineIndex> =
    std::sync::LazyLock::new(|| wfc_compiler::source::LineIndex::new(""));

/// A snippet of code in Markdown.
pub fn code_block(text: &str) -> String {
    format!("```yaml\n{text}\n```")
}
