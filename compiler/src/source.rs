//! Source files and position conversion.
//!
//! Everything inside the compiler speaks byte offsets. [`LineIndex`] converts them to 1-based
//! lines and columns (UTF-8 bytes, UTF-16 code units, or characters) for the renderers and the
//! language server, which are the only places that need them.

use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

/// Index of a file in a [`SourceDb`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub struct FileId(pub u32);

/// One source text with its path and line index.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub text: Arc<str>,
    /// Built on first use: only diagnostics and the language server need lines, and a clean
    /// `wfc compile` of a large file should not pay for indexing it.
    line_index: OnceLock<LineIndex>,
}

impl SourceFile {
    /// The line index of the text.
    pub fn line_index(&self) -> &LineIndex {
        self.line_index.get_or_init(|| LineIndex::new(&self.text))
    }
}

/// All files of one analysis run. Files are only ever added, so a [`FileId`] stays valid.
#[derive(Debug, Default, Clone)]
pub struct SourceDb {
    files: Vec<SourceFile>,
}

impl SourceDb {
    pub fn new() -> SourceDb {
        SourceDb::default()
    }

    pub fn add(&mut self, path: impl Into<String>, text: impl Into<Arc<str>>) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile {
            path: path.into(),
            text: text.into(),
            line_index: OnceLock::new(),
        });
        id
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn path(&self, id: FileId) -> &str {
        self.get(id).map_or("<unknown>", |file| file.path.as_str())
    }

    pub fn text(&self, id: FileId) -> &str {
        self.get(id).map_or("", |file| &file.text)
    }

    pub fn find(&self, path: &str) -> Option<FileId> {
        self.files
            .iter()
            .position(|file| file.path == path)
            .map(|index| FileId(index as u32))
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(index, file)| (FileId(index as u32), file))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// A line/column position; `line` and `column` are 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineColumn {
    pub line: u32,
    pub column: u32,
}

/// Which unit columns are counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnUnit {
    Utf8,
    Utf16,
    Char,
}

/// Start offsets of every line of a text.
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    line_starts: Vec<u32>,
    /// Whether each line is pure ASCII, where every column unit is one byte (O(1) conversion
    /// even on megabyte-long lines).
    ascii_lines: Vec<bool>,
    text_len: u32,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = vec![0];
        let mut ascii_lines = Vec::new();
        let mut ascii = true;
        for (offset, byte) in text.bytes().enumerate() {
            ascii &= byte.is_ascii();
            if byte == b'\n' {
                line_starts.push(offset as u32 + 1);
                ascii_lines.push(ascii);
                ascii = true;
            }
        }
        ascii_lines.push(ascii);
        LineIndex {
            line_starts,
            ascii_lines,
            text_len: text.len() as u32,
        }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Byte offset where 0-based `line` starts.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.line_starts.get(line).map(|start| *start as usize)
    }

    /// Length in bytes of 0-based `line`, without its line break.
    pub fn line_length(&self, line: usize) -> usize {
        let Some(start) = self.line_start(line) else {
            return 0;
        };
        let end = self
            .line_start(line + 1)
            .map_or(self.text_len as usize, |next| next.saturating_sub(1));
        end.saturating_sub(start)
    }

    /// 0-based line containing `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.text_len as usize) as u32;
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    /// 1-based line and column of a byte offset, columns counted in `unit`.
    pub fn line_column(&self, text: &str, offset: usize, unit: ColumnUnit) -> LineColumn {
        let offset = clamp_to_char_boundary(text, offset);
        let line = self.line_of(offset);
        let start = self.line_starts[line] as usize;
        let prefix = &text[start..offset];
        let ascii = self.ascii_lines.get(line).copied().unwrap_or(false);
        let column = match unit {
            _ if ascii => prefix.len(),
            ColumnUnit::Utf8 => prefix.len(),
            ColumnUnit::Utf16 => prefix.encode_utf16().count(),
            ColumnUnit::Char => prefix.chars().count(),
        };
        LineColumn {
            line: line as u32 + 1,
            column: column as u32 + 1,
        }
    }

    /// Byte offset of a 0-based line and 0-based column in `unit`; clamps past the line's end.
    pub fn offset(&self, text: &str, line: usize, column: usize, unit: ColumnUnit) -> usize {
        let Some(start) = self.line_start(line) else {
            return text.len();
        };
        let end = self.line_start(line + 1).unwrap_or(text.len());
        let line_text = &text[start..end];
        let mut counted = 0usize;
        for (index, character) in line_text.char_indices() {
            if counted >= column || character == '\n' {
                return start + index;
            }
            counted += match unit {
                ColumnUnit::Utf8 => character.len_utf8(),
                ColumnUnit::Utf16 => character.len_utf16(),
                ColumnUnit::Char => 1,
            };
        }
        end
    }
}

/// The greatest char boundary at or before `offset`, within the text.
pub fn clamp_to_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_offsets_to_lines_and_utf16_columns() {
        let text = "a: 1\nnamé: 😀x\n";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(
            index.line_column(text, x, ColumnUnit::Utf8),
            LineColumn {
                line: 2,
                column: 12
            }
        );
        assert_eq!(
            index.line_column(text, x, ColumnUnit::Utf16),
            LineColumn { line: 2, column: 9 }
        );
        assert_eq!(
            index.line_column(text, x, ColumnUnit::Char),
            LineColumn { line: 2, column: 8 }
        );
        assert_eq!(index.offset(text, 1, 8, ColumnUnit::Utf16), x);
        assert_eq!(index.offset(text, 7, 0, ColumnUnit::Utf16), text.len());
    }
}
