//! Spanned YAML syntax tree.
//!
//! saphyr's event parser gives positions in characters; we build our own small tree with byte
//! [`Span`]s on every node, keep the scalar style, and keep for every scalar a map from offsets in
//! its decoded value back to the source bytes ([`ScalarMap`]) so that a diagnostic can point at the
//! exact characters inside a `${...}` expression or a script, whatever the quoting or block style.
//!
//! The builder is iterative (no recursion on user input), refuses nesting deeper than
//! [`MAX_DEPTH`], expands aliases with a budget of [`MAX_ALIAS_NODES`] nodes ("billion laughs"),
//! and reports duplicate keys. Parsing never fails: a syntax error yields a diagnostic and whatever
//! tree was built up to that point is dropped (`root: None`).

use std::collections::HashMap;

use rustc_hash::FxHashMap;
use saphyr_parser::{Event, Parser, ScalarStyle};

use crate::diagnostic::{Diagnostic, Span};
use crate::rules;
use crate::source::FileId;

mod pieces;

/// Deepest nesting of collections accepted.
pub const MAX_DEPTH: usize = 256;
/// Most nodes that alias expansion may create in one file.
pub const MAX_ALIAS_NODES: usize = 1_000_000;

/// How a scalar was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

impl Style {
    pub fn is_quoted(self) -> bool {
        !matches!(self, Style::Plain)
    }
}

/// Maps offsets in a scalar's decoded value to byte offsets in the file.
///
/// Stored as sorted anchor points `(value_offset, source_offset)`; between anchors the mapping is
/// linear. Most scalars (written without escapes or line folding) need only the first anchor,
/// which is stored inline so that they cost no allocation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScalarMap {
    first: (u32, u32),
    /// A boxed slice, not a vector: one word less in every scalar of the tree.
    rest: Box<[(u32, u32)]>,
    source_end: u32,
}

impl ScalarMap {
    fn from_anchors(mut anchors: Vec<(u32, u32)>, source_end: u32) -> ScalarMap {
        if anchors.is_empty() {
            return ScalarMap {
                first: (0, source_end),
                rest: Box::default(),
                source_end,
            };
        }
        let first = anchors.remove(0);
        ScalarMap {
            first,
            rest: anchors.into_boxed_slice(),
            source_end,
        }
    }

    /// Applies `shift` to every source offset (see `pieces`).
    fn shift_source_offsets(&mut self, shift: impl Fn(&mut u32)) {
        shift(&mut self.first.1);
        for anchor in self.rest.iter_mut() {
            shift(&mut anchor.1);
        }
        shift(&mut self.source_end);
    }

    /// Source byte offset of value byte offset `offset`.
    pub fn source_offset(&self, offset: usize) -> usize {
        let offset = offset as u32;
        let (value_at, source_at) = match self.rest.binary_search_by_key(&offset, |anchor| anchor.0)
        {
            Ok(index) => self.rest[index],
            Err(0) => self.first,
            Err(next) => self.rest[next - 1],
        };
        ((source_at + offset.saturating_sub(value_at)) as usize).min(self.source_end as usize)
    }

    /// Source span of the value byte range `start..end`.
    pub fn source_span(&self, start: usize, end: usize) -> Span {
        let source_start = self.source_offset(start);
        let source_end = if end > start {
            self.source_offset(end - 1) + 1
        } else {
            source_start
        };
        Span::new(source_start, source_end.max(source_start))
    }
}

/// A scalar with its decoded value.
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    pub value: String,
    pub style: Style,
    pub map: ScalarMap,
}

/// A YAML node.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Scalar(Scalar),
    Sequence(Vec<Node>),
    Mapping(Vec<Entry>),
}

/// A key/value pair of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
}

/// A node with its source span.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
}

/// What a plain scalar means under the YAML 1.2 core schema.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PlainValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String,
}

impl Node {
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            NodeKind::Scalar(scalar) => Some(scalar),
            _ => None,
        }
    }

    /// The text of a scalar (of any style).
    pub fn as_str(&self) -> Option<&str> {
        self.as_scalar().map(|scalar| scalar.value.as_str())
    }

    pub fn as_mapping(&self) -> Option<&[Entry]> {
        match &self.kind {
            NodeKind::Mapping(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_sequence(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Sequence(items) => Some(items),
            _ => None,
        }
    }

    /// The core-schema meaning of the node if it is a scalar.
    pub fn plain_value(&self) -> Option<PlainValue> {
        let scalar = self.as_scalar()?;
        if scalar.style != Style::Plain {
            return Some(PlainValue::String);
        }
        Some(resolve_plain(&scalar.value))
    }

    pub fn is_null(&self) -> bool {
        matches!(self.plain_value(), Some(PlainValue::Null))
    }

    /// A short description of the node's kind for "expected X, found Y" messages.
    pub fn kind_name(&self) -> &'static str {
        match self.plain_value() {
            None => match self.kind {
                NodeKind::Sequence(_) => "a list",
                _ => "a mapping",
            },
            Some(PlainValue::Null) => "null",
            Some(PlainValue::Bool(_)) => "a boolean",
            Some(PlainValue::Int(_)) => "an integer",
            Some(PlainValue::Float(_)) => "a number",
            Some(PlainValue::String) => "a string",
        }
    }

    /// Looks a key up in a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_mapping()?
            .iter()
            .find(|entry| entry.key.as_str() == Some(key))
            .map(|entry| &entry.value)
    }
}

/// Resolves a plain scalar with the YAML 1.2 core schema.
pub fn resolve_plain(text: &str) -> PlainValue {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return PlainValue::Null,
        "true" | "True" | "TRUE" => return PlainValue::Bool(true),
        "false" | "False" | "FALSE" => return PlainValue::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return PlainValue::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return PlainValue::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return PlainValue::Float(f64::NAN),
        _ => {}
    }
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    if !unsigned.is_empty() && unsigned.bytes().all(|byte| byte.is_ascii_digit()) {
        return text.parse::<i64>().map_or(
            PlainValue::Float(text.parse().unwrap_or(0.0)),
            PlainValue::Int,
        );
    }
    if let Some(Ok(value)) = text
        .strip_prefix("0x")
        .map(|hex| i64::from_str_radix(hex, 16))
    {
        return PlainValue::Int(value);
    }
    if let Some(Ok(value)) = text
        .strip_prefix("0o")
        .map(|octal| i64::from_str_radix(octal, 8))
    {
        return PlainValue::Int(value);
    }
    let looks_numeric = unsigned
        .bytes()
        .next()
        .is_some_and(|byte| byte.is_ascii_digit() || byte == b'.')
        && unsigned
            .bytes()
            .all(|byte| byte.is_ascii_digit() || matches!(byte, b'.' | b'e' | b'E' | b'+' | b'-'))
        && unsigned.bytes().any(|byte| byte.is_ascii_digit());
    match text.parse::<f64>() {
        Ok(value) if looks_numeric => PlainValue::Float(value),
        _ => PlainValue::String,
    }
}

/// The result of parsing one file.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// The document's root node, `None` for an empty file or a syntax error.
    pub root: Option<Node>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Converts saphyr's character indices to byte offsets.
struct CharToByte<'text> {
    text: &'text str,
    ascii: bool,
    // Byte offset of every char index, built lazily only for non-ASCII text.
    table: Vec<u32>,
}

impl<'text> CharToByte<'text> {
    fn new(text: &'text str) -> CharToByte<'text> {
        let ascii = text.is_ascii();
        let table = if ascii {
            Vec::new()
        } else {
            let mut table: Vec<u32> = text
                .char_indices()
                .map(|(offset, _)| offset as u32)
                .collect();
            table.push(text.len() as u32);
            table
        };
        CharToByte { text, ascii, table }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.ascii {
            char_index.min(self.text.len())
        } else {
            self.table
                .get(char_index)
                .map_or(self.text.len(), |offset| *offset as usize)
        }
    }
}

/// A collection being built. Its children so far sit at the end of the builder's shared stacks
/// (from `first_item`/`first_entry` on), and move into a vector of exactly their number when it
/// ends: no vector grows one doubling at a time, and none keeps spare capacity in the tree.
enum Frame {
    Sequence {
        start: usize,
        first_item: usize,
        anchor: usize,
    },
    Mapping {
        start: usize,
        first_entry: usize,
        pending_key: Option<Node>,
        anchor: usize,
        /// The keys so far, once the mapping is too large to search them linearly.
        keys: Option<FxHashMap<String, Span>>,
    },
}

/// Whether `text` is well-formed YAML (what [`parse`] reports as a syntax error is not there),
/// found by streaming the parser's events without building a tree: an editor asks this before
/// deciding to let go of its last good analysis, and must not hold a second tree meanwhile.
pub fn is_well_formed(text: &str) -> bool {
    if text.as_bytes().contains(&0) {
        return false;
    }
    let mut parser = Parser::new_from_str(text);
    while let Some(event) = parser.next_event() {
        if event.is_err() {
            return false;
        }
    }
    true
}

/// Parses `text` into a spanned tree, collecting diagnostics.
///
/// Large files whose bulk is one block mapping (a workflow's `tasks:`) are parsed in pieces on
/// several threads ([`pieces`]); the result is the one the sequential parse gives.
pub fn parse(file: FileId, text: &str) -> Parsed {
    if text.as_bytes().contains(&0) {
        let offset = text.bytes().position(|byte| byte == 0).unwrap_or(0);
        let mut parsed = Parsed::default();
        parsed.diagnostics.push(
            Diagnostic::new(
                &rules::yaml_limits::RULE,
                file,
                Span::new(offset, offset + 1),
                "binary content is not a workflow",
            )
            .with_label("NUL byte")
            .with_help("wfc reads UTF-8 YAML text"),
        );
        return parsed;
    }
    if let Some(parsed) = pieces::parse_in_pieces(file, text, crate::threads::available()) {
        return parsed;
    }
    build(file, text, Piece::whole(text)).parsed
}

/// The part of a text one parser reads: `text[start..end]`, whose root node sits `depth`
/// collections deep in the whole document.
#[derive(Debug, Clone, Copy)]
struct Piece {
    start: usize,
    end: usize,
    depth: usize,
}

impl Piece {
    fn whole(text: &str) -> Piece {
        Piece {
            start: 0,
            end: text.len(),
            depth: 0,
        }
    }
}

/// A tree built from one piece, and what the piece used that a split parse cannot reproduce.
struct Built {
    parsed: Parsed,
    /// An alias was expanded (its budget is shared by the whole file).
    used_aliases: bool,
}

/// Builds the tree of `piece` of `text`. Spans are byte offsets into the whole `text`.
fn build(file: FileId, text: &str, piece: Piece) -> Built {
    let mut parsed = Parsed::default();
    let slice = &text[piece.start..piece.end];
    let positions = CharToByte::new(slice);
    let byte = |char_index: usize| piece.start + positions.byte(char_index);
    let mut parser = Parser::new_from_str(slice);
    let mut stack: Vec<Frame> = Vec::new();
    // The children of the open collections (see [`Frame`]).
    let mut open_items: Vec<Node> = Vec::new();
    let mut open_entries: Vec<Entry> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut alias_budget = MAX_ALIAS_NODES;
    let mut used_aliases = false;
    let mut documents = 0usize;
    let mut finished: Option<Node> = None;
    let stop = |parsed: Parsed, used_aliases: bool| Built {
        parsed,
        used_aliases,
    };

    while let Some(event) = parser.next_event() {
        let (event, span) = match event {
            Ok(pair) => pair,
            Err(error) => {
                let offset = byte(error.marker().index());
                let end = crate::source::clamp_to_char_boundary(text, offset + 1).max(offset);
                let end = if end == offset {
                    next_char_boundary(text, offset)
                } else {
                    end
                };
                // saphyr has its own nesting limit; report it as the limit it is.
                let diagnostic = if error.info().contains("recursion limit") {
                    Diagnostic::new(
                        &rules::yaml_limits::RULE,
                        file,
                        Span::new(offset, end),
                        "nesting is too deep",
                    )
                    .with_label(format!("more than {MAX_DEPTH} nested collections"))
                    .with_help("flatten the structure")
                } else {
                    Diagnostic::new(
                        &rules::yaml_syntax::RULE,
                        file,
                        Span::new(offset, end),
                        "invalid YAML",
                    )
                    .with_label(error.info().to_string())
                };
                parsed.diagnostics.push(diagnostic);
                parsed.root = None;
                return stop(parsed, used_aliases);
            }
        };
        let start = byte(span.start.index());
        let end = byte(span.end.index()).max(start);
        let node = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => continue,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    parsed.diagnostics.push(
                        Diagnostic::new(
                            &rules::yaml_limits::RULE,
                            file,
                            Span::new(start, end.max(start + 3).min(text.len())),
                            "more than one YAML document",
                        )
                        .with_label("a second document starts here")
                        .with_help(
                            "a wfc file holds exactly one document; split it into several files",
                        ),
                    );
                    break;
                }
                continue;
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if stack.len() + piece.depth >= MAX_DEPTH {
                    parsed.diagnostics.push(
                        Diagnostic::new(
                            &rules::yaml_limits::RULE,
                            file,
                            Span::new(start, next_char_boundary(text, start)),
                            "nesting is too deep",
                        )
                        .with_label(format!("more than {MAX_DEPTH} nested collections"))
                        .with_help("flatten the structure"),
                    );
                    parsed.root = None;
                    return stop(parsed, used_aliases);
                }
                if matches!(event, Event::SequenceStart(..)) {
                    stack.push(Frame::Sequence {
                        start,
                        first_item: open_items.len(),
                        anchor,
                    });
                } else {
                    stack.push(Frame::Mapping {
                        start,
                        first_entry: open_entries.len(),
                        pending_key: None,
                        anchor,
                        keys: None,
                    });
                }
                continue;
            }
            Event::SequenceEnd => {
                let Some(Frame::Sequence {
                    start,
                    first_item,
                    anchor,
                }) = stack.pop()
                else {
                    break;
                };
                let node = Node {
                    kind: NodeKind::Sequence(open_items.drain(first_item..).collect()),
                    span: Span::new(start, end.max(start)),
                };
                remember_anchor(&mut anchors, anchor, &node);
                node
            }
            Event::MappingEnd => {
                let Some(Frame::Mapping {
                    start,
                    first_entry,
                    anchor,
                    ..
                }) = stack.pop()
                else {
                    break;
                };
                let node = Node {
                    kind: NodeKind::Mapping(open_entries.drain(first_entry..).collect()),
                    span: Span::new(start, end.max(start)),
                };
                remember_anchor(&mut anchors, anchor, &node);
                node
            }
            Event::Scalar(value, style, anchor, _tag) => {
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted => Style::SingleQuoted,
                    ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
                    ScalarStyle::Literal => Style::Literal,
                    ScalarStyle::Folded => Style::Folded,
                };
                // saphyr hands over scalars in buffers of a hundred bytes or more: copied to
                // their length, the tree of a 1 MB file is about 6 MB smaller.
                let value = match value {
                    std::borrow::Cow::Owned(value) if value.capacity() == value.len() => value,
                    value => value.as_ref().to_owned(),
                };
                let map = build_scalar_map(text, start, end, style, &value);
                let node = Node {
                    kind: NodeKind::Scalar(Scalar { value, style, map }),
                    span: Span::new(start, end),
                };
                remember_anchor(&mut anchors, anchor, &node);
                node
            }
            Event::Alias(anchor) => {
                let Some(target) = anchors.get(&anchor) else {
                    continue;
                };
                used_aliases = true;
                let size = node_count(target);
                if size > alias_budget {
                    parsed.diagnostics.push(
                        Diagnostic::new(
                            &rules::yaml_limits::RULE,
                            file,
                            Span::new(start, end.max(start + 1).min(text.len())),
                            "aliases expand to too many nodes",
                        )
                        .with_label(format!(
                            "expanding this alias exceeds {MAX_ALIAS_NODES} nodes"
                        ))
                        .with_help("write the structure out instead of nesting aliases"),
                    );
                    parsed.root = None;
                    return stop(parsed, used_aliases);
                }
                alias_budget -= size;
                target.clone()
            }
        };
        // Attach the finished node to its parent.
        match stack.last_mut() {
            None => finished = Some(node),
            Some(Frame::Sequence { .. }) => open_items.push(node),
            Some(Frame::Mapping {
                first_entry,
                pending_key,
                keys,
                ..
            }) => match pending_key.take() {
                None => *pending_key = Some(node),
                Some(key) => {
                    let entries = open_entries.get(*first_entry..).unwrap_or(&[]);
                    if let Some(name) = key.as_str()
                        && let Some(first) = first_key_span(entries, keys, name, key.span)
                    {
                        parsed.diagnostics.push(
                            Diagnostic::new(
                                &rules::duplicate_key::RULE,
                                file,
                                key.span,
                                format!("duplicate key `{name}`"),
                            )
                            .with_label("repeated here")
                            .with_secondary(file, first, "first defined here")
                            .with_help("remove one of the two entries; YAML keeps only one"),
                        );
                    }
                    open_entries.push(Entry { key, value: node });
                }
            },
        }
    }
    parsed.root = finished;
    stop(parsed, used_aliases)
}

/// Mappings with more entries than this index their keys in a hash map; smaller ones (nearly
/// all) are searched linearly, which allocates nothing.
const LINEAR_KEY_SEARCH_MAX: usize = 16;

/// The span of the earlier key `name` of a mapping whose `entries` are built so far, or `None`
/// (and `name` is remembered, at `span`) when it is new.
fn first_key_span(
    entries: &[Entry],
    keys: &mut Option<FxHashMap<String, Span>>,
    name: &str,
    span: Span,
) -> Option<Span> {
    if keys.is_none() && entries.len() < LINEAR_KEY_SEARCH_MAX {
        return entries
            .iter()
            .find(|entry| entry.key.as_str() == Some(name))
            .map(|entry| entry.key.span);
    }
    let index = keys.get_or_insert_with(|| {
        let mut index = FxHashMap::default();
        for entry in entries {
            if let Some(earlier) = entry.key.as_str() {
                index.entry(earlier.to_string()).or_insert(entry.key.span);
            }
        }
        index
    });
    match index.get(name) {
        Some(first) => Some(*first),
        None => {
            index.insert(name.to_string(), span);
            None
        }
    }
}

fn next_char_boundary(text: &str, offset: usize) -> usize {
    let mut end = (offset + 1).min(text.len());
    while end < text.len() && !text.is_char_boundary(end) {
        end += 1;
    }
    end.max(offset)
}

fn remember_anchor(anchors: &mut HashMap<usize, Node>, anchor: usize, node: &Node) {
    if anchor > 0 {
        anchors.insert(anchor, node.clone());
    }
}

fn node_count(node: &Node) -> usize {
    let mut count = 0;
    let mut pending = vec![node];
    while let Some(node) = pending.pop() {
        count += 1;
        match &node.kind {
            NodeKind::Scalar(_) => {}
            NodeKind::Sequence(items) => pending.extend(items),
            NodeKind::Mapping(entries) => {
                for entry in entries {
                    pending.push(&entry.key);
                    pending.push(&entry.value);
                }
            }
        }
    }
    count
}

/// Aligns the decoded `value` with the source text of the scalar at `start..end`.
///
/// Walks both texts: equal characters advance together; source characters that do not appear in
/// the value (quotes, indentation, line breaks folded into spaces, escape sequences) are skipped.
/// Escapes in double-quoted scalars are decoded so that `\n` in the source aligns with a newline
/// in the value. Whenever the alignment shifts, an anchor is recorded.
fn build_scalar_map(text: &str, start: usize, end: usize, style: Style, value: &str) -> ScalarMap {
    let end = end.min(text.len());
    let start = start.min(end);
    let source = &text[start..end];
    let mut anchors: Vec<(u32, u32)> = Vec::new();
    // Fast path: the value is literally the source (plain one-line scalars, most keys).
    if source == value {
        return ScalarMap {
            first: (0, start as u32),
            rest: Box::default(),
            source_end: end as u32,
        };
    }
    let mut source_position = match style {
        Style::SingleQuoted | Style::DoubleQuoted => 1.min(source.len()),
        // saphyr starts block scalar spans at the content, after the header line.
        Style::Literal | Style::Folded | Style::Plain => 0,
    };
    let source_bytes = source.as_bytes();
    let mut last_delta: Option<i64> = None;
    for (value_offset, value_char) in value.char_indices() {
        // Find the next source position that produces `value_char`.
        let mut found = None;
        let mut probe = source_position;
        while probe < source.len() {
            if !source.is_char_boundary(probe) {
                probe += 1;
                continue;
            }
            if style == Style::DoubleQuoted && source_bytes[probe] == b'\\' {
                let (decoded, length) = decode_escape(&source[probe..]);
                if decoded == Some(value_char) {
                    found = Some((probe, length));
                    break;
                }
                probe += length.max(1);
                continue;
            }
            let Some(source_char) = source[probe..].chars().next() else {
                break;
            };
            if source_char == value_char {
                found = Some((probe, source_char.len_utf8()));
                break;
            }
            // A folded line break becomes a space or is dropped; let it match a space/newline.
            if (value_char == ' ' || value_char == '\n')
                && (source_char == '\n' || source_char == '\r')
            {
                found = Some((probe, source_char.len_utf8()));
                break;
            }
            probe += source_char.len_utf8();
        }
        let Some((matched, length)) = found else {
            break;
        };
        let delta = (start + matched) as i64 - value_offset as i64;
        if last_delta != Some(delta) {
            anchors.push((value_offset as u32, (start + matched) as u32));
            last_delta = Some(delta);
        }
        source_position = matched + length;
    }
    if anchors.is_empty() {
        anchors.push((0, (start + source_position.min(source.len())) as u32));
    }
    ScalarMap::from_anchors(anchors, end as u32)
}

/// Decodes one YAML double-quoted escape at the start of `text`; returns the char and the length.
fn decode_escape(text: &str) -> (Option<char>, usize) {
    let mut characters = text.chars();
    characters.next();
    let Some(kind) = characters.next() else {
        return (None, 1);
    };
    let simple = match kind {
        '0' => Some('\0'),
        'a' => Some('\x07'),
        'b' => Some('\x08'),
        't' | '\t' => Some('\t'),
        'n' => Some('\n'),
        'v' => Some('\x0b'),
        'f' => Some('\x0c'),
        'r' => Some('\r'),
        'e' => Some('\x1b'),
        ' ' => Some(' '),
        '"' => Some('"'),
        '/' => Some('/'),
        '\\' => Some('\\'),
        'N' => Some('\u{85}'),
        '_' => Some('\u{a0}'),
        'L' => Some('\u{2028}'),
        'P' => Some('\u{2029}'),
        _ => None,
    };
    if let Some(character) = simple {
        return (Some(character), 1 + kind.len_utf8());
    }
    let digits = match kind {
        'x' => 2,
        'u' => 4,
        'U' => 8,
        _ => return (None, 1 + kind.len_utf8()),
    };
    let hex: String = text.chars().skip(2).take(digits).collect();
    let decoded = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32);
    (decoded, 2 + hex.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formedness_agrees_with_parse() {
        for text in [
            "a: 1\n",
            "a: [1, 2\n",
            "a: \"open\n",
            "",
            "- x\n- {y: 1}\n",
            "a: *nothing\n",
        ] {
            let broken = parse(FileId(0), text)
                .diagnostics
                .iter()
                .any(|diagnostic| diagnostic.code == rules::yaml_syntax::RULE.code);
            assert_eq!(is_well_formed(text), !broken, "{text:?}");
        }
    }

    fn root(text: &str) -> Node {
        let parsed = parse(FileId(0), text);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        parsed.root.expect("root")
    }

    /// Source text that value range `needle` maps to.
    fn mapped<'t>(text: &'t str, node: &Node, needle: &str) -> &'t str {
        let scalar = node.as_scalar().expect("scalar");
        let start = scalar.value.find(needle).expect("needle in value");
        let span = scalar.map.source_span(start, start + needle.len());
        &text[span.range()]
    }

    #[test]
    fn maps_expressions_back_in_every_scalar_style() {
        let text = "plain: a ${x.output.y} b\nsingle: 'it''s ${x.output.y}'\ndouble: \"tab\\t${x.output.y}\\u00e9\"\nliteral: |\n  line one\n  ${x.output.y}\nfolded: >\n  first\n  second ${x.output.y}\n";
        let tree = root(text);
        for key in ["plain", "single", "double", "literal", "folded"] {
            let node = tree.get(key).expect(key);
            assert_eq!(
                mapped(text, node, "${x.output.y}"),
                "${x.output.y}",
                "style of {key}"
            );
            assert_eq!(mapped(text, node, "output"), "output", "style of {key}");
        }
    }

    #[test]
    fn reports_duplicate_keys_and_keeps_going() {
        let parsed = parse(FileId(0), "a: 1\nb: 2\na: 3\n");
        assert_eq!(parsed.diagnostics.len(), 1);
        assert_eq!(parsed.diagnostics[0].code, "WF002");
        assert_eq!(parsed.diagnostics[0].span, Span::new(10, 11));
    }

    #[test]
    fn spans_are_bytes_even_with_multibyte_text() {
        let text = "é: ${ü.output}\n";
        let tree = root(text);
        let value = tree.get("é").expect("value");
        assert_eq!(&text[value.span.range()], "${ü.output}");
    }

    #[test]
    fn refuses_alias_bombs_and_deep_nesting() {
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..10 {
            let previous = level - 1;
            bomb.push_str(&format!("a{level}: &a{level} [*a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}]\n"));
        }
        let parsed = parse(FileId(0), &bomb);
        assert_eq!(parsed.diagnostics[0].code, "WF003");
        let deep = "[".repeat(10_000);
        let parsed = parse(FileId(0), &deep);
        assert_eq!(
            parsed.diagnostics[0].code, "WF003",
            "{:?}",
            parsed.diagnostics
        );
        let deep_block: String = (0..10_000)
            .map(|level| format!("{}k:\n", " ".repeat(level)))
            .collect();
        let parsed = parse(FileId(0), &deep_block);
        assert_eq!(
            parsed.diagnostics[0].code, "WF003",
            "{:?}",
            parsed.diagnostics
        );
    }

    #[test]
    fn syntax_errors_are_located() {
        let parsed = parse(FileId(0), "a: [1, 2\nb: c\n");
        assert_eq!(parsed.diagnostics[0].code, "WF001");
        assert!(parsed.root.is_none());
    }

    #[test]
    fn core_schema_scalars() {
        assert_eq!(resolve_plain("12"), PlainValue::Int(12));
        assert_eq!(resolve_plain("-3"), PlainValue::Int(-3));
        assert_eq!(resolve_plain("1.5"), PlainValue::Float(1.5));
        assert_eq!(resolve_plain("true"), PlainValue::Bool(true));
        assert_eq!(resolve_plain("~"), PlainValue::Null);
        assert_eq!(resolve_plain("1.2.3"), PlainValue::String);
        assert_eq!(resolve_plain("10m"), PlainValue::String);
    }
}
