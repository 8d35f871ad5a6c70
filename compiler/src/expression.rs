//! The `${...}` template scanner and the path parser behind it.
//!
//! Every string value of a workflow is a Conductor template. The checker needs to know which parts of
//! a string are expressions, what each expression reads (workflow input, a task's output, …) and
//! whether Conductor can read it at all, and it needs byte ranges for every piece so that diagnostics
//! point at the exact characters. This module answers those questions without any knowledge of the
//! workflow model: it turns text into a [`Template`] of [`Piece`]s and every expression into a
//! [`Path`] (or an [`ExpressionError`]).
//!
//! # Following Conductor
//!
//! The behaviour mirrors `ParametersUtils.replaceVariables` of conductor-oss and the Jayway JsonPath
//! 2.4.0 `PathCompiler` it calls (FORMAT.md §D.3, §D.4):
//!
//! * An expression starts at a `${` that is not preceded by `$` and ends where the braces balance
//!   again. Every `{` and `}` counts, quoted or not, exactly like Conductor's regular expression.
//! * `$${` is the escape for a literal `${` ([`Piece::Escape`]). `$$${a}` is a literal `$` followed
//!   by the escape, again like Conductor's left-to-right `replaceAll`.
//! * A `${` whose braces never balance is left as text by Conductor; wfc reports it as an
//!   [`ExpressionErrorKind::Unterminated`] expression that covers only the two opening characters, and
//!   keeps scanning after them (so an expression inside it is still found).
//! * `${}` and `${   }` become the empty string: [`ExpressionErrorKind::Empty`], for a warning.
//! * Nested expressions (`${workflow.input.${workflow.input.key}}`) are resolved inner-first by
//!   Conductor and their text pasted into the outer path. The inner expressions are kept in
//!   [`Expression::nested`]; the outer path is parsed up to the component that contains the first
//!   inner expression and the rest becomes one [`Segment::Dynamic`] (or [`Root::Dynamic`] when the
//!   very first component is dynamic), because the pasted text may add any number of components.
//! * A path without a leading `$` is read as `$.` + path, which is how Jayway does it. As a
//!   consequence a space right after `${` is an invalid path (`$. workflow…`), which Conductor turns
//!   into `null`; wfc reports it. Trailing spaces are trimmed by Jayway and accepted.
//! * A bare single name without surrounding spaces (`${CPEWF_TASK_ID}`, `${NETFLIX_ENV}`) is first
//!   looked up as a server environment variable or system property; it is [`Root::Environment`]. A
//!   checker that knows the task references may still decide that such a name means a whole task.
//!
//! # Paths
//!
//! The path grammar is Jayway's, including its leniencies: a field name is anything up to `.`, `[`,
//! `(` or a space (`a-b`, `ключ`, `a:b` are names), one stray character after a bracket token is
//! ignored (`[0]x`), `a[0]b` is `a[0].b`. Plain fields and indexes become [`Segment::Field`] and
//! [`Segment::Index`]; wildcards [`Segment::Wildcard`]; everything else JSONPath can do (deep scan
//! `..`, filters `[?(…)]`, slices `[1:3]`, index lists `[0,1]`, name lists `['a','b']`, functions
//! `.length()`) is a [`Segment::Complex`] that a type checker treats as `any`. Filters are checked
//! with `serde_json_path` (RFC 9535, whose syntax covers the common Jayway filters); filters that use
//! Jayway-only syntax (`=~`, `in`, `size`, regular expressions, JSON literals, `.length()`, names
//! RFC 9535 does not allow after a dot, non-singular comparisons) are accepted without that check.
//!
//! All ranges are byte ranges into the text given to [`scan`], always on character boundaries.

use std::ops::Range;

/// Nested expressions deeper than this are not parsed further (Conductor has no limit, but nobody
/// writes more than two levels and the scanner must not recurse without bound).
const MAXIMUM_NESTING_DEPTH: usize = 32;

/// A scanned string: its literal parts, escapes and expressions, in order and covering the whole text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub pieces: Vec<Piece>,
}

/// One part of a [`Template`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Text copied as is.
    Literal { range: Range<usize> },
    /// `$${`, which Conductor turns into a literal `${`.
    Escape { range: Range<usize> },
    /// A `${...}` expression (or an unterminated `${`, see [`ExpressionErrorKind::Unterminated`]).
    Expression(Expression),
}

/// One `${...}` expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expression {
    /// The whole expression including `${` and `}`. For an unterminated expression only the `${`.
    pub range: Range<usize>,
    /// The text between the braces (empty for an unterminated expression).
    pub inner: Range<usize>,
    /// The parsed path, or why Conductor cannot read it.
    pub path: Result<Path, ExpressionError>,
    /// Expressions inside this one (`${a.${b}}` → `${b}`), resolved by Conductor before this one.
    pub nested: Vec<Expression>,
}

/// A JSONPath as Conductor's Jayway reads it, split into its root and the components after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    pub root: Root,
    /// Where the root is written: the first name (`workflow`, the task reference), or the `$` of a
    /// path whose first component is not a name, or an empty range at the path start when the `$` is
    /// implicit.
    pub root_range: Range<usize>,
    /// Components after the root.
    pub segments: Vec<Segment>,
}

/// What a path starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Root {
    /// `workflow.…`: the running workflow (input, output, variables, metadata).
    Workflow,
    /// `<ref>.…`: a task by reference name, with the range of the name.
    Task(String, Range<usize>),
    /// A bare name (`CPEWF_TASK_ID`, `NETFLIX_ENV`): an environment variable or system property of
    /// the server, resolved before JSONPath is tried.
    Environment(String),
    /// A path whose first component is not a name (`$`, `$[0]`, `$..a`, `$.*`): the whole document.
    Document,
    /// The first component contains a nested expression, so the root is only known at run time.
    Dynamic,
}

/// One component of a [`Path`], with its byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// `.name`, `['name']` or `["name"]`. The range is the name for the dot form, the whole
    /// bracket for the bracket form.
    Field { name: String, range: Range<usize> },
    /// `[0]`, `[-1]`.
    Index { index: i64, range: Range<usize> },
    /// `.*` or `[*]`.
    Wildcard { range: Range<usize> },
    /// Any other JSONPath component; its value type is unknown.
    Complex {
        kind: ComplexKind,
        range: Range<usize>,
    },
    /// From here to the end, the path text comes from nested expressions and is only known at run time.
    Dynamic { range: Range<usize> },
}

/// The kinds of [`Segment::Complex`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComplexKind {
    /// `..name`, `..[0]`, `..*`: every match at any depth (always a list).
    DeepScan,
    /// `[?(@.a > 1)]` (always a list).
    Filter,
    /// `[1:3]`, `[:2]`, `[-2:]` (a list).
    Slice,
    /// `[0,1]` (a list).
    IndexList,
    /// `['a','b']` (an object of the selected fields).
    FieldList,
    /// `.length()`, `.sum()`, … and anything after it.
    Function,
}

/// Why an expression cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpressionError {
    pub kind: ExpressionErrorKind,
    pub range: Range<usize>,
    pub message: String,
}

/// The kinds of [`ExpressionError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExpressionErrorKind {
    /// `${` without a matching `}`: Conductor leaves the text as is.
    Unterminated,
    /// `${}` or `${  }`: Conductor substitutes the empty string.
    Empty,
    /// Not a valid Jayway JsonPath: Conductor substitutes `null` (and logs a warning).
    InvalidPath,
    /// Nested more than [`MAXIMUM_NESTING_DEPTH`] levels deep: not analysed.
    TooDeeplyNested,
}

impl Template {
    /// True when the whole string is exactly one (terminated) expression, so Conductor substitutes
    /// the raw value and the string takes the JSON type of that value.
    pub fn is_single_expression(&self) -> bool {
        self.single_expression().is_some()
    }

    /// The expression when the whole string is exactly one expression.
    pub fn single_expression(&self) -> Option<&Expression> {
        match self.pieces.as_slice() {
            [Piece::Expression(expression)] if expression.is_terminated() => Some(expression),
            _ => None,
        }
    }

    /// The top-level expressions in order (not the nested ones, see [`Template::all_expressions`]).
    pub fn expressions(&self) -> impl Iterator<Item = &Expression> {
        self.pieces.iter().filter_map(|piece| match piece {
            Piece::Expression(expression) => Some(expression),
            _ => None,
        })
    }

    /// Every expression, nested ones included, outer before inner.
    pub fn all_expressions(&self) -> AllExpressions<'_> {
        let mut stack: Vec<&Expression> = self.expressions().collect();
        stack.reverse();
        AllExpressions { stack }
    }

    /// Every error of every expression (nested ones included).
    pub fn errors(&self) -> impl Iterator<Item = &ExpressionError> {
        self.all_expressions()
            .filter_map(|expression| expression.path.as_ref().err())
    }

    /// True when the string contains no expression at all (escapes are allowed).
    pub fn is_literal(&self) -> bool {
        self.expressions().next().is_none()
    }

    /// The value Conductor produces for a string without expressions: the text with every `$${`
    /// turned into `${`. `None` when the template contains an expression.
    pub fn literal_value(&self, text: &str) -> Option<String> {
        let mut value = String::with_capacity(text.len());
        for piece in &self.pieces {
            match piece {
                Piece::Literal { range } => value.push_str(text.get(range.clone())?),
                Piece::Escape { .. } => value.push_str("${"),
                Piece::Expression(_) => return None,
            }
        }
        Some(value)
    }
}

impl Template {
    /// The text with every (terminated, top-level) expression replaced by `first` followed by
    /// `fill` up to the expression's length, and every `$${` by ` ${` (what Conductor leaves after
    /// unescaping, plus a space). Byte offsets are unchanged, so errors found in the result can be
    /// reported against the original text. Used to syntax-check scripts and jq programs, which
    /// Conductor interpolates before running them. `first` and `fill` must be ASCII (others are
    /// replaced by `_`).
    pub fn with_expressions_masked(&self, text: &str, first: char, fill: char) -> String {
        let first = if first.is_ascii() { first } else { '_' };
        let fill = if fill.is_ascii() { fill } else { '_' };
        let mut masked = String::with_capacity(text.len());
        for piece in &self.pieces {
            match piece {
                Piece::Literal { range } => masked.push_str(text.get(range.clone()).unwrap_or("")),
                Piece::Escape { .. } => masked.push_str(" ${"),
                Piece::Expression(expression) if expression.is_terminated() => {
                    masked.push(first);
                    masked.extend(std::iter::repeat_n(
                        fill,
                        expression.range.len().saturating_sub(1),
                    ));
                }
                Piece::Expression(expression) => {
                    masked.push_str(text.get(expression.range.clone()).unwrap_or(""));
                }
            }
        }
        masked
    }

    /// The ranges [`Template::with_expressions_masked`] replaces with placeholders.
    pub fn masked_ranges(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        self.expressions()
            .filter(|expression| expression.is_terminated())
            .map(|expression| expression.range.clone())
    }
}

/// Iterator over all expressions of a template, see [`Template::all_expressions`].
#[derive(Debug, Clone)]
pub struct AllExpressions<'a> {
    stack: Vec<&'a Expression>,
}

impl<'a> Iterator for AllExpressions<'a> {
    type Item = &'a Expression;

    fn next(&mut self) -> Option<&'a Expression> {
        let expression = self.stack.pop()?;
        self.stack.extend(expression.nested.iter().rev());
        Some(expression)
    }
}

impl Expression {
    /// False for a `${` whose braces never balance.
    pub fn is_terminated(&self) -> bool {
        !matches!(&self.path, Err(error) if error.kind == ExpressionErrorKind::Unterminated)
    }

    /// The text between the braces.
    pub fn inner_text<'a>(&self, text: &'a str) -> &'a str {
        text.get(self.inner.clone()).unwrap_or("")
    }
}

impl Path {
    /// True when every segment is a plain field or index, so the value can be followed through
    /// declared types.
    pub fn is_plain(&self) -> bool {
        !matches!(self.root, Root::Dynamic)
            && self
                .segments
                .iter()
                .all(|segment| matches!(segment, Segment::Field { .. } | Segment::Index { .. }))
    }
}

impl Segment {
    /// Where the segment is written.
    pub fn range(&self) -> Range<usize> {
        match self {
            Segment::Field { range, .. }
            | Segment::Index { range, .. }
            | Segment::Wildcard { range }
            | Segment::Complex { range, .. }
            | Segment::Dynamic { range } => range.clone(),
        }
    }
}

/// Scan a string for `${...}` expressions, `$${` escapes and literal text.
pub fn scan(text: &str) -> Template {
    // Most values have no expression (and so no `$${` escape either): one literal.
    if !text.contains("${") {
        let mut pieces = Vec::new();
        push_literal(&mut pieces, 0, text.len());
        return Template { pieces };
    }
    let closing_braces = matching_closing_braces(text.as_bytes());
    let scanner = Scanner {
        text,
        closing_braces,
    };
    Template {
        pieces: scanner.scan_pieces(0, text.len(), 0),
    }
}

/// For every `{` that is balanced, the `}` that balances it (stack matching, which is the same as
/// counting braces from that `{` until the count returns to zero), as `(open, close)` pairs sorted
/// by `open`: a vector rather than a map, since this runs for every string with an expression.
fn matching_closing_braces(bytes: &[u8]) -> ClosingBraces {
    let mut open_braces: Vec<usize> = Vec::new();
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for (index, byte) in bytes.iter().enumerate() {
        match byte {
            b'{' => {
                open_braces.push(pairs.len());
                pairs.push((index, usize::MAX));
            }
            b'}' => {
                if let Some(open) = open_braces.pop() {
                    pairs[open].1 = index;
                }
            }
            _ => {}
        }
    }
    ClosingBraces { pairs }
}

/// See [`matching_closing_braces`]; unbalanced braces have `usize::MAX` as their close.
struct ClosingBraces {
    pairs: Vec<(usize, usize)>,
}

impl ClosingBraces {
    /// The `}` balancing the `{` at `open`, if any.
    fn get(&self, open: usize) -> Option<usize> {
        let index = self
            .pairs
            .binary_search_by_key(&open, |(open, _)| *open)
            .ok()?;
        let close = self.pairs[index].1;
        (close != usize::MAX).then_some(close)
    }
}

struct Scanner<'a> {
    text: &'a str,
    closing_braces: ClosingBraces,
}

impl Scanner<'_> {
    fn scan_pieces(&self, start: usize, end: usize, depth: usize) -> Vec<Piece> {
        let bytes = self.text.as_bytes();
        let mut pieces = Vec::new();
        let mut literal_start = start;
        let mut position = start;
        while position < end {
            let rest = bytes.get(position..end).unwrap_or(&[]);
            if rest.starts_with(b"$${") {
                push_literal(&mut pieces, literal_start, position);
                pieces.push(Piece::Escape {
                    range: position..position + 3,
                });
                position += 3;
                literal_start = position;
            } else if rest.starts_with(b"${") {
                push_literal(&mut pieces, literal_start, position);
                let closing = self
                    .closing_braces
                    .get(position + 1)
                    .filter(|&closing| closing < end);
                match closing {
                    Some(closing) => {
                        pieces.push(Piece::Expression(self.expression(position, closing, depth)));
                        position = closing + 1;
                    }
                    None => {
                        pieces.push(Piece::Expression(Expression {
                            range: position..position + 2,
                            inner: position + 2..position + 2,
                            path: Err(ExpressionError {
                                kind: ExpressionErrorKind::Unterminated,
                                range: position..position + 2,
                                message: "`${` is never closed by a matching `}`; Conductor leaves the text as it is"
                                    .to_string(),
                            }),
                            nested: Vec::new(),
                        }));
                        position += 2;
                    }
                }
                literal_start = position;
            } else {
                position += 1;
            }
        }
        push_literal(&mut pieces, literal_start, end);
        pieces
    }

    fn expression(&self, start: usize, closing: usize, depth: usize) -> Expression {
        let range = start..closing + 1;
        let inner = start + 2..closing;
        if depth >= MAXIMUM_NESTING_DEPTH {
            return Expression {
                range: range.clone(),
                inner,
                path: Err(ExpressionError {
                    kind: ExpressionErrorKind::TooDeeplyNested,
                    range,
                    message: format!(
                        "expressions nested more than {MAXIMUM_NESTING_DEPTH} levels deep are not analysed"
                    ),
                }),
                nested: Vec::new(),
            };
        }
        let nested: Vec<Expression> = self
            .scan_pieces(inner.start, inner.end, depth + 1)
            .into_iter()
            .filter_map(|piece| match piece {
                Piece::Expression(expression) => Some(expression),
                _ => None,
            })
            .collect();
        let path = parse_path(self.text, range.clone(), inner.clone(), &nested);
        let mut expression = Expression {
            range,
            inner,
            path,
            nested,
        };
        validate_filters(self.text, &mut expression);
        expression
    }
}

fn push_literal(pieces: &mut Vec<Piece>, start: usize, end: usize) {
    if start < end {
        pieces.push(Piece::Literal { range: start..end });
    }
}

/// What Java's `String.trim` removes: every character up to U+0020.
fn is_java_trimmed(character: char) -> bool {
    character <= ' '
}

/// `Character.isWhitespace` of Java, which `StringUtils.isBlank` uses for the empty-expression check.
fn is_java_whitespace(character: char) -> bool {
    match character {
        '\u{00A0}' | '\u{2007}' | '\u{202F}' => false,
        '\t' | '\n' | '\u{000B}' | '\u{000C}' | '\r' | '\u{001C}'..='\u{001F}' => true,
        _ => character.is_whitespace() && !matches!(character, '\u{0085}'),
    }
}

/// A path segment as the Jayway-compatible parser produces it, in the coordinates of the parsed text.
#[derive(Debug, Clone)]
struct RawSegment {
    kind: RawKind,
    /// The whole token, including a leading `..` for deep scans (not a single leading dot).
    range: Range<usize>,
    /// The name part of a dot-form field (`a` of `.a`).
    name_range: Range<usize>,
}

#[derive(Debug, Clone)]
enum RawKind {
    DotField(String),
    BracketFields(Vec<String>),
    Indexes(Vec<i64>),
    Slice,
    Wildcard,
    Filter,
    Function,
    DeepScan,
}

/// A Jayway parse error, in the coordinates of the parsed text.
#[derive(Debug, Clone)]
struct RawError {
    range: Range<usize>,
    /// Start of the token being read when the error occurred.
    token_start: usize,
    message: String,
}

/// Parse the text between `${` and `}` as Conductor does.
fn parse_path(
    text: &str,
    expression_range: Range<usize>,
    inner: Range<usize>,
    nested: &[Expression],
) -> Result<Path, ExpressionError> {
    let inner_text = text.get(inner.clone()).unwrap_or("");
    if nested.is_empty() && inner_text.chars().all(is_java_whitespace) {
        return Err(ExpressionError {
            kind: ExpressionErrorKind::Empty,
            range: expression_range,
            message: "empty expression: Conductor replaces it with an empty string".to_string(),
        });
    }

    // Nested expressions are replaced by zeros of the same length: a zero is a valid name, index
    // and string content, so the outer path still parses, and the ranges stay where they are.
    // Without nested expressions (nearly always) the text is used as it is.
    let masked: std::borrow::Cow<'_, str> = if nested.is_empty() {
        std::borrow::Cow::Borrowed(inner_text)
    } else {
        let mut masked = String::with_capacity(inner_text.len());
        let mut copied_until = inner.start;
        for expression in nested {
            masked.push_str(text.get(copied_until..expression.range.start).unwrap_or(""));
            masked.push_str(&"0".repeat(expression.range.len()));
            copied_until = expression.range.end;
        }
        masked.push_str(text.get(copied_until..inner.end).unwrap_or(""));
        std::borrow::Cow::Owned(masked)
    };
    let first_hole = nested.first().map(|expression| expression.range.start);
    // Jayway's `JsonContext.read` trims the path first (Java's `String.trim`: every character up
    // to U+0020), so `${ workflow.input.x }` reads `workflow.input.x`.
    let leading_blanks = masked.len() - masked.trim_start_matches(is_java_trimmed).len();
    let masked = &masked[leading_blanks..];
    let content_start = inner.start + leading_blanks;

    let explicit_root = masked.starts_with('$') || masked.starts_with('@');
    let parsed_text = if explicit_root {
        masked.to_string()
    } else {
        let mut parsed_text = String::with_capacity(masked.len() + 2);
        parsed_text.push_str("$.");
        parsed_text.push_str(masked);
        parsed_text
    };
    let to_text = |position: usize| -> usize {
        if explicit_root {
            content_start + position
        } else {
            content_start + position.saturating_sub(2)
        }
    };
    let to_text_range = |range: &Range<usize>| -> Range<usize> {
        let start = to_text(range.start);
        let end = to_text(range.end).max(start);
        clamp_to_char_boundaries(text, start..end)
    };

    let trimmed_length = parsed_text.trim_end_matches(is_java_trimmed).len();
    let parsed = &parsed_text[..trimmed_length];
    let mut parser = JaywayParser {
        text: parsed,
        bytes: parsed.as_bytes(),
        segments: Vec::new(),
    };
    let outcome = if parsed.ends_with('.') {
        let dots = parsed.len() - parsed.trim_end_matches('.').len();
        let start = parsed.len() - dots;
        Err(RawError {
            range: start..parsed.len(),
            token_start: start,
            message: "a path must not end with `.`".to_string(),
        })
    } else {
        parser.parse()
    };
    let raw_segments = parser.segments;

    if let Err(error) = &outcome {
        let error_start = to_text(error.range.start);
        let inside_dynamic_part = first_hole.is_some_and(|hole| error_start >= hole);
        if !inside_dynamic_part {
            return Err(ExpressionError {
                kind: ExpressionErrorKind::InvalidPath,
                range: non_empty_range(text, to_text_range(&error.range), &inner),
                message: error.message.clone(),
            });
        }
    }

    // Cut the segments at the first one that touches a nested expression.
    let mut segments_in_text: Vec<(RawKind, Range<usize>, Range<usize>)> = raw_segments
        .into_iter()
        .map(|segment| {
            (
                segment.kind,
                to_text_range(&segment.range),
                to_text_range(&segment.name_range),
            )
        })
        .collect();
    let mut dynamic_start = None;
    if let Some(hole) = first_hole {
        if let Some(cut) = segments_in_text
            .iter()
            .position(|(_, range, _)| range.end > hole)
        {
            dynamic_start = segments_in_text
                .get(cut)
                .map(|(_, range, _)| range.start.min(hole));
            segments_in_text.truncate(cut);
        } else {
            let token_start = outcome
                .as_ref()
                .err()
                .map(|error| to_text(error.token_start))
                .unwrap_or(hole);
            dynamic_start = Some(token_start.min(hole));
        }
    }
    let inner_end = to_text(trimmed_length).max(inner.start);
    let dynamic_range =
        dynamic_start.map(|start| clamp_to_char_boundaries(text, start..inner_end.max(start)));

    let dollar_range = if explicit_root {
        to_text_range(&(0..1))
    } else {
        inner.start..inner.start
    };
    let mut segments_iterator = segments_in_text.into_iter().peekable();
    let (root, root_range) = match segments_iterator.peek() {
        Some((RawKind::DotField(name), _, name_range)) => {
            let name = name.clone();
            let name_range = name_range.clone();
            segments_iterator.next();
            // Conductor asks the environment first, with the text exactly as written.
            let bare_name = !explicit_root
                && nested.is_empty()
                && segments_iterator.peek().is_none()
                && inner_text == name;
            if name == "workflow" {
                (Root::Workflow, name_range)
            } else if bare_name {
                (Root::Environment(name), name_range)
            } else {
                (Root::Task(name, name_range.clone()), name_range)
            }
        }
        Some((RawKind::BracketFields(names), range, _)) if names.len() == 1 => {
            let name = names.first().cloned().unwrap_or_default();
            let range = range.clone();
            segments_iterator.next();
            if name == "workflow" {
                (Root::Workflow, range)
            } else {
                (Root::Task(name, range.clone()), range)
            }
        }
        Some(_) => (Root::Document, dollar_range),
        None => match &dynamic_range {
            Some(range) => (Root::Dynamic, range.clone()),
            None => (Root::Document, dollar_range),
        },
    };

    let mut segments = Vec::new();
    for (kind, range, name_range) in segments_iterator {
        let segment = match kind {
            RawKind::DotField(name) => Segment::Field {
                name,
                range: name_range,
            },
            RawKind::BracketFields(names) if names.len() == 1 => Segment::Field {
                name: names.into_iter().next().unwrap_or_default(),
                range,
            },
            RawKind::BracketFields(_) => Segment::Complex {
                kind: ComplexKind::FieldList,
                range,
            },
            RawKind::Indexes(indexes) if indexes.len() == 1 => Segment::Index {
                index: indexes.first().copied().unwrap_or_default(),
                range,
            },
            RawKind::Indexes(_) => Segment::Complex {
                kind: ComplexKind::IndexList,
                range,
            },
            RawKind::Slice => Segment::Complex {
                kind: ComplexKind::Slice,
                range,
            },
            RawKind::Wildcard => Segment::Wildcard { range },
            RawKind::Filter => Segment::Complex {
                kind: ComplexKind::Filter,
                range,
            },
            RawKind::DeepScan => Segment::Complex {
                kind: ComplexKind::DeepScan,
                range,
            },
            RawKind::Function => {
                // Jayway applies a function to what precedes it; whatever follows is unusual enough
                // to be folded into the same opaque segment.
                let end = dynamic_range
                    .as_ref()
                    .map_or(inner_end, |dynamic| dynamic.start)
                    .max(range.start);
                segments.push(Segment::Complex {
                    kind: ComplexKind::Function,
                    range: clamp_to_char_boundaries(text, range.start..end),
                });
                break;
            }
        };
        segments.push(segment);
    }
    if root != Root::Dynamic
        && let Some(range) = dynamic_range
    {
        segments.push(Segment::Dynamic { range });
    }
    Ok(Path {
        root,
        root_range,
        segments,
    })
}

/// An error range that is never empty when there is text to point at.
fn non_empty_range(text: &str, range: Range<usize>, inner: &Range<usize>) -> Range<usize> {
    if !range.is_empty() {
        return range;
    }
    if range.start < inner.end {
        return clamp_to_char_boundaries(
            text,
            range.start..next_char_boundary(text, range.start + 1),
        );
    }
    if inner.start < inner.end {
        let start = previous_char_boundary(text, inner.end.saturating_sub(1));
        return clamp_to_char_boundaries(text, start..inner.end);
    }
    range
}

fn clamp_to_char_boundaries(text: &str, range: Range<usize>) -> Range<usize> {
    let start = previous_char_boundary(text, range.start.min(text.len()));
    let end = next_char_boundary(text, range.end.min(text.len()).max(start));
    start..end
}

fn previous_char_boundary(text: &str, mut position: usize) -> usize {
    position = position.min(text.len());
    while position > 0 && !text.is_char_boundary(position) {
        position -= 1;
    }
    position
}

fn next_char_boundary(text: &str, mut position: usize) -> usize {
    position = position.min(text.len());
    while position < text.len() && !text.is_char_boundary(position) {
        position += 1;
    }
    position
}

/// A port of the token reader of Jayway JsonPath 2.4.0 (`PathCompiler`), reporting errors with
/// ranges instead of exceptions. The text always starts with `$` or `@` and has no trailing spaces.
struct JaywayParser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    segments: Vec<RawSegment>,
}

impl JaywayParser<'_> {
    fn length(&self) -> usize {
        self.bytes.len()
    }

    fn byte(&self, position: usize) -> Option<u8> {
        self.bytes.get(position).copied()
    }

    /// The range of the character starting at `position` (empty at the end of the text).
    fn character_range(&self, position: usize) -> Range<usize> {
        let start = previous_char_boundary(self.text, position);
        let end = next_char_boundary(self.text, start + 1).max(start);
        start..end.min(self.length()).max(start)
    }

    fn error(
        &self,
        range: Range<usize>,
        token_start: usize,
        message: impl Into<String>,
    ) -> RawError {
        RawError {
            range,
            token_start,
            message: message.into(),
        }
    }

    /// Index of the first non-space character after `position`.
    fn next_significant(&self, position: usize) -> Option<usize> {
        let mut index = position + 1;
        while index < self.length() && self.byte(index) == Some(b' ') {
            index += 1;
        }
        (index < self.length()).then_some(index)
    }

    fn next_significant_byte(&self, position: usize) -> Option<u8> {
        self.next_significant(position)
            .and_then(|index| self.byte(index))
    }

    fn parse(&mut self) -> Result<(), RawError> {
        if self.length() <= 1 {
            return Ok(());
        }
        if !matches!(self.byte(1), Some(b'.' | b'[')) {
            return Err(self.error(
                self.character_range(1),
                1,
                format!(
                    "expected `.` or `[` after `{}`",
                    char::from(self.byte(0).unwrap_or(b'$'))
                ),
            ));
        }
        let mut position = 1;
        loop {
            position = self.read_unit(position)?;
            // Jayway stops when at most one character is left (`currentIsTail`), so a single stray
            // character after a bracket token is ignored.
            if position + 1 >= self.length() {
                return Ok(());
            }
        }
    }

    /// An optional `.` or `..` and the token after it.
    fn read_unit(&mut self, position: usize) -> Result<usize, RawError> {
        let mut token_position = position;
        let mut deep_scan = false;
        if self.byte(position) == Some(b'.') {
            if self.byte(position + 1) == Some(b'.') {
                deep_scan = true;
                token_position = position + 2;
            } else {
                token_position = position + 1;
            }
            if token_position >= self.length() {
                return Err(self.error(
                    position..self.length(),
                    position,
                    "a path must not end with `.`",
                ));
            }
            if self.byte(token_position) == Some(b'.') {
                return Err(self.error(
                    self.character_range(token_position),
                    position,
                    "unexpected `.`: use `.name` for a field or `..name` for a deep scan",
                ));
            }
        }
        let (kind, range, name_range, next) = self.read_token(token_position)?;
        if deep_scan {
            self.segments.push(RawSegment {
                kind: RawKind::DeepScan,
                range: position..range.end,
                name_range: range,
            });
        } else {
            self.segments.push(RawSegment {
                kind,
                range,
                name_range,
            });
        }
        Ok(next)
    }

    /// One token: a name (or function call), `*`, or a bracket.
    fn read_token(
        &self,
        position: usize,
    ) -> Result<(RawKind, Range<usize>, Range<usize>, usize), RawError> {
        match self.byte(position) {
            Some(b'[') => {
                let (kind, next) = self.read_bracket(position)?;
                Ok((kind, position..next, position..next, next))
            }
            Some(b'*') => Ok((
                RawKind::Wildcard,
                position..position + 1,
                position..position + 1,
                position + 1,
            )),
            Some(b' ') => Err(self.error(
                self.character_range(position),
                position,
                "unexpected space in the path (a space after `${` makes the whole path invalid)",
            )),
            Some(_) => self.read_name_or_function(position),
            None => Err(self.error(position..position, position, "the path ends unexpectedly")),
        }
    }

    fn read_name_or_function(
        &self,
        position: usize,
    ) -> Result<(RawKind, Range<usize>, Range<usize>, usize), RawError> {
        let mut read = position;
        while let Some(byte) = self.byte(read) {
            match byte {
                b' ' => {
                    return Err(self.error(
                        self.character_range(read),
                        position,
                        "a field name cannot contain a space; write `['name with spaces']`",
                    ));
                }
                b'.' | b'[' => break,
                b'(' => return self.read_function(position, read),
                _ => read += 1,
            }
        }
        let name = self.text.get(position..read).unwrap_or("").to_string();
        Ok((
            RawKind::DotField(name),
            position..read,
            position..read,
            read,
        ))
    }

    /// `name(...)`: Jayway functions such as `length()`; the arguments are not analysed.
    fn read_function(
        &self,
        position: usize,
        open_parenthesis: usize,
    ) -> Result<(RawKind, Range<usize>, Range<usize>, usize), RawError> {
        if open_parenthesis == position {
            return Err(self.error(
                self.character_range(position),
                position,
                "missing function name before `(`",
            ));
        }
        // Jayway 2.4.0 accepts a `(` as the very last character as a call without arguments.
        if open_parenthesis + 1 >= self.length() {
            let end = self.length();
            return Ok((
                RawKind::Function,
                position..end,
                position..open_parenthesis,
                end,
            ));
        }
        let mut depth = 0usize;
        let mut index = open_parenthesis;
        let mut quote: Option<u8> = None;
        let mut escaped = false;
        while let Some(byte) = self.byte(index) {
            if let Some(delimiter) = quote {
                if escaped {
                    escaped = false;
                } else if byte == b'\\' {
                    escaped = true;
                } else if byte == delimiter {
                    quote = None;
                }
            } else {
                match byte {
                    b'\'' | b'"' => quote = Some(byte),
                    b'(' => depth += 1,
                    b')' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            let end = index + 1;
                            return Ok((
                                RawKind::Function,
                                position..end,
                                position..open_parenthesis,
                                end,
                            ));
                        }
                    }
                    _ => {}
                }
            }
            index += 1;
        }
        let name = self.text.get(position..open_parenthesis).unwrap_or("");
        Err(self.error(
            self.character_range(open_parenthesis),
            position,
            format!("the arguments of function `{name}` are not closed by `)`"),
        ))
    }

    /// `['a']`, `['a','b']`, `[0]`, `[0,1]`, `[1:2]`, `[*]`, `[?(...)]`.
    fn read_bracket(&self, position: usize) -> Result<(RawKind, usize), RawError> {
        let generic_error = || {
            self.error(
                self.character_range(position),
                position,
                "cannot read the bracket: expected a quoted name, an index, a slice, `*` or a filter `?(…)`",
            )
        };
        match self.next_significant_byte(position) {
            Some(quote @ (b'\'' | b'"')) => self.read_bracket_fields(position, quote),
            Some(b'0'..=b'9' | b'-' | b':') => match self.read_indexes(position)? {
                Some(result) => Ok(result),
                None => Err(generic_error()),
            },
            Some(b'*') => {
                let star = self.next_significant(position).unwrap_or(position + 1);
                match self.next_significant(star) {
                    Some(close) if self.byte(close) == Some(b']') => {
                        Ok((RawKind::Wildcard, close + 1))
                    }
                    _ => Err(self.error(
                        self.character_range(star),
                        position,
                        "expected `]` after `*` in `[*]`",
                    )),
                }
            }
            Some(b'?') => self.read_filter(position),
            _ => Err(generic_error()),
        }
    }

    fn read_bracket_fields(
        &self,
        position: usize,
        delimiter: u8,
    ) -> Result<(RawKind, usize), RawError> {
        let mut names = Vec::new();
        let mut name_start = position + 1;
        let mut read = position + 1;
        let mut in_name = false;
        let mut in_escape = false;
        let mut last_significant_was_comma = false;
        let mut closing_bracket = None;
        while let Some(byte) = self.byte(read) {
            if in_escape {
                in_escape = false;
            } else if byte == b'\\' {
                in_escape = true;
            } else if byte == b']' && !in_name {
                if last_significant_was_comma {
                    return Err(self.error(
                        self.character_range(read),
                        position,
                        "empty name in `[…]` (note: Jayway 2.4.0 also rejects a comma inside a quoted name)",
                    ));
                }
                closing_bracket = Some(read);
                break;
            } else if byte == delimiter {
                if in_name {
                    if !matches!(self.next_significant_byte(read), Some(b']' | b',')) {
                        return Err(self.error(
                            self.character_range(read),
                            position,
                            "expected `]` or `,` after the quoted name",
                        ));
                    }
                    names.push(unescape_jayway(
                        self.text.get(name_start..read).unwrap_or(""),
                    ));
                    in_name = false;
                } else {
                    name_start = read + 1;
                    in_name = true;
                    last_significant_was_comma = false;
                }
            } else if byte == b',' {
                // Jayway counts commas inside quoted names too.
                if last_significant_was_comma {
                    return Err(self.error(
                        self.character_range(read),
                        position,
                        "empty name in `[…]` (note: Jayway 2.4.0 also rejects a comma inside a quoted name)",
                    ));
                }
                last_significant_was_comma = true;
            }
            read += 1;
        }
        if in_name {
            return Err(self.error(
                name_start.saturating_sub(1)..self.length(),
                position,
                format!(
                    "the quoted name is never closed by `{}`",
                    char::from(delimiter)
                ),
            ));
        }
        match closing_bracket {
            Some(closing) => Ok((RawKind::BracketFields(names), closing + 1)),
            None => Err(self.error(
                position..self.length(),
                position,
                "`[` is never closed by `]`",
            )),
        }
    }

    /// `Ok(None)` when Jayway's array reader would not take the bracket.
    fn read_indexes(&self, position: usize) -> Result<Option<(RawKind, usize)>, RawError> {
        let Some(closing) =
            (position + 1..self.length()).find(|&index| self.byte(index) == Some(b']'))
        else {
            return Ok(None);
        };
        let contents_range = position + 1..closing;
        let contents = self
            .text
            .get(contents_range.clone())
            .unwrap_or("")
            .trim_matches(|c: char| c <= ' ');
        if !contents
            .bytes()
            .all(|byte| matches!(byte, b'0'..=b'9' | b',' | b'-' | b':' | b' '))
        {
            return Ok(None);
        }
        let bracket_range = position..closing + 1;
        if contents.contains(':') {
            if contents.contains(' ') {
                return Err(self.error(bracket_range, position, "a slice cannot contain spaces"));
            }
            let mut parts: Vec<&str> = contents.split(':').collect();
            while parts.last() == Some(&"") {
                parts.pop();
            }
            let mut bounds = [None, None];
            for (bound, part) in bounds.iter_mut().zip(parts.iter()) {
                if !part.is_empty() {
                    match part.parse::<i32>() {
                        Ok(value) => *bound = Some(value),
                        Err(_) => {
                            return Err(self.error(
                                bracket_range,
                                position,
                                format!("`{part}` is not a valid slice bound (a 32-bit integer)"),
                            ));
                        }
                    }
                }
            }
            if bounds.iter().all(Option::is_none) {
                return Err(self.error(
                    bracket_range,
                    position,
                    "a slice needs a start or an end, as in `[1:]` or `[:2]`",
                ));
            }
            return Ok(Some((RawKind::Slice, closing + 1)));
        }
        let mut indexes = Vec::new();
        for part in contents.split(',') {
            let part = part.trim_matches(|c: char| c.is_whitespace());
            match part.parse::<i32>() {
                Ok(index) => indexes.push(i64::from(index)),
                Err(_) => {
                    let message = if part.is_empty() {
                        "empty index in `[…]`".to_string()
                    } else {
                        format!("`{part}` is not a valid index (a 32-bit integer)")
                    };
                    return Err(self.error(bracket_range, position, message));
                }
            }
        }
        Ok(Some((RawKind::Indexes(indexes), closing + 1)))
    }

    /// `[?(...)]`; `[?]` placeholders need predicates Conductor never supplies.
    fn read_filter(&self, position: usize) -> Result<(RawKind, usize), RawError> {
        let question_mark = self.next_significant(position).unwrap_or(position + 1);
        let after_question_mark = self.next_significant(question_mark);
        match after_question_mark.and_then(|index| self.byte(index)) {
            Some(b'(') => {}
            Some(b']' | b',') => {
                return Err(self.error(
                    position..after_question_mark.map_or(self.length(), |index| index + 1),
                    position,
                    "`[?]` is a placeholder for a predicate supplied by Java code; Conductor supplies none",
                ));
            }
            _ => {
                return Err(self.error(
                    self.character_range(question_mark),
                    position,
                    "a filter is written `[?(condition)]`",
                ));
            }
        }
        let open_parenthesis = after_question_mark.unwrap_or(question_mark + 1);
        let close_parenthesis = self.closing_filter_parenthesis(position, open_parenthesis)?;
        let closing_bracket = match self.next_significant(close_parenthesis) {
            Some(index) if self.byte(index) == Some(b']') => index,
            _ => {
                return Err(self.error(
                    self.character_range(close_parenthesis),
                    position,
                    "expected `]` after the filter condition",
                ));
            }
        };
        Ok((RawKind::Filter, closing_bracket + 1))
    }

    /// Jayway's `indexOfClosingBracket` with strings and regular expressions skipped.
    fn closing_filter_parenthesis(
        &self,
        token_start: usize,
        open_parenthesis: usize,
    ) -> Result<usize, RawError> {
        let mut depth = 1usize;
        let mut read = open_parenthesis + 1;
        while read < self.length() {
            if let Some(quote @ (b'\'' | b'"')) = self.byte(read) {
                match self.next_unescaped(read, quote) {
                    Some(closing) => read = closing + 1,
                    None => {
                        return Err(self.error(
                            read..self.length(),
                            token_start,
                            format!(
                                "the string in the filter is never closed by `{}`",
                                char::from(quote)
                            ),
                        ));
                    }
                }
            }
            if self.byte(read) == Some(b'/') {
                match self.next_unescaped(read, b'/') {
                    Some(closing) => read = closing + 1,
                    None => {
                        return Err(self.error(
                            read..self.length(),
                            token_start,
                            "the regular expression in the filter is never closed by `/`",
                        ));
                    }
                }
            }
            match self.byte(read) {
                Some(b'(') => depth += 1,
                Some(b')') => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(read);
                    }
                }
                _ => {}
            }
            read += 1;
        }
        Err(self.error(
            self.character_range(open_parenthesis),
            token_start,
            "the filter condition is never closed by `)`",
        ))
    }

    fn next_unescaped(&self, position: usize, wanted: u8) -> Option<usize> {
        let mut in_escape = false;
        for index in position + 1..self.length() {
            let byte = self.byte(index)?;
            if in_escape {
                in_escape = false;
            } else if byte == b'\\' {
                in_escape = true;
            } else if byte == wanted {
                return Some(index);
            }
        }
        None
    }
}

/// `Utils.unescape` of Jayway: backslash escapes in quoted names.
fn unescape_jayway(escaped: &str) -> String {
    let mut result = String::with_capacity(escaped.len());
    let mut characters = escaped.chars();
    while let Some(character) = characters.next() {
        if character != '\\' {
            result.push(character);
            continue;
        }
        match characters.next() {
            None => result.push('\\'),
            Some('r') => result.push('\r'),
            Some('f') => result.push('\u{000C}'),
            Some('t') => result.push('\t'),
            Some('n') => result.push('\n'),
            Some('b') => result.push('\u{0008}'),
            Some('u') => {
                let digits: String = characters.by_ref().take(4).collect();
                if digits.chars().count() == 4 {
                    let decoded = u32::from_str_radix(&digits, 16)
                        .ok()
                        .and_then(char::from_u32);
                    result.push(decoded.unwrap_or(char::REPLACEMENT_CHARACTER));
                }
            }
            Some(other) => result.push(other),
        }
    }
    result
}

/// Check a filter token `[?(…)]` with `serde_json_path` (RFC 9535).
fn validate_filter(criteria: &str) -> Result<(), String> {
    if uses_jayway_only_filter_syntax(criteria) {
        return Ok(());
    }
    serde_json_path::JsonPath::parse(&format!("${criteria}"))
        .map(|_| ())
        .map_err(|error| format!("invalid filter: {}", error.message()))
}

/// Whether a filter uses syntax that Jayway accepts and RFC 9535 does not (or treats differently):
/// such filters are accepted without the RFC 9535 check rather than risking a false error.
fn uses_jayway_only_filter_syntax(criteria: &str) -> bool {
    const WORD_OPERATORS: [&str; 12] = [
        "in", "nin", "contains", "all", "size", "exists", "type", "matches", "empty", "subsetof",
        "anyof", "noneof",
    ];
    const NAME_DELIMITERS: &[u8] = b" .[]()=!<>&|,'\"";
    let bytes = criteria.as_bytes();
    // Look inside the outer `[?(`.
    let Some(open_parenthesis) = bytes.iter().position(|&byte| byte == b'(') else {
        return true;
    };
    let mut index = open_parenthesis + 1;
    let mut previous_significant = Some(b'(');
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'\'' | b'"' => {
                let mut end = index + 1;
                loop {
                    match bytes.get(end) {
                        None => break,
                        // Escape rules differ between the two grammars.
                        Some(b'\\') => return true,
                        Some(&inner) if inner == byte => break,
                        Some(_) => end += 1,
                    }
                }
                index = end + 1;
                previous_significant = Some(byte);
                continue;
            }
            // Regular expressions, JSON objects, wildcards, `=~`, escapes.
            b'\\' | b'/' | b'{' | b'*' | b'~' => return true,
            // `===` and `!==`.
            b'=' | b'!' if bytes.get(index + 1..index + 3) == Some(b"==".as_slice()) => {
                return true;
            }
            b'.' => {
                if bytes.get(index + 1) == Some(&b'.') {
                    return true;
                }
                let name_end = (index + 1..bytes.len())
                    .find(|&end| bytes.get(end).is_some_and(|b| NAME_DELIMITERS.contains(b)))
                    .unwrap_or(bytes.len());
                let name = bytes.get(index + 1..name_end).unwrap_or(&[]);
                let valid_first = name
                    .first()
                    .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_' || *b >= 0x80);
                let valid_rest = name
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b >= 0x80);
                // Names RFC 9535 does not allow after a dot, and Jayway functions such as `.length()`.
                if !valid_first || !valid_rest || bytes.get(name_end) == Some(&b'(') {
                    return true;
                }
                previous_significant = Some(b'a');
                index = name_end;
                continue;
            }
            b'(' if bytes.get(index + 1) == Some(&b')') => return true,
            b'[' => {
                // A JSON array literal.
                if matches!(
                    previous_significant,
                    Some(b'=' | b'<' | b'>' | b'(' | b',' | b'!' | b'&' | b'|')
                ) {
                    return true;
                }
                // Slices and unions are not singular queries, which RFC 9535 rejects in comparisons.
                let closing = (index..bytes.len())
                    .find(|&end| bytes.get(end) == Some(&b']'))
                    .unwrap_or(bytes.len());
                let contents = bytes.get(index + 1..closing).unwrap_or(&[]);
                if contents.contains(&b':') || contents.contains(&b',') {
                    return true;
                }
            }
            byte if byte.is_ascii_alphabetic() => {
                let word_end = (index..bytes.len())
                    .find(|&end| {
                        !bytes
                            .get(end)
                            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
                    })
                    .unwrap_or(bytes.len());
                let word = criteria
                    .get(index..word_end)
                    .unwrap_or("")
                    .to_ascii_lowercase();
                if WORD_OPERATORS.contains(&word.as_str()) {
                    return true;
                }
                previous_significant = Some(b'a');
                index = word_end.max(index + 1);
                continue;
            }
            _ => {}
        }
        if !byte.is_ascii_whitespace() {
            previous_significant = Some(byte);
        }
        index += 1;
    }
    false
}

/// Second pass over a parsed path: check its filters (nested expressions are checked when they are
/// built). Kept apart from the Jayway port.
fn validate_filters(text: &str, expression: &mut Expression) {
    let Ok(path) = &expression.path else { return };
    let mut first_error = None;
    for segment in &path.segments {
        let Segment::Complex {
            kind: ComplexKind::Filter,
            range,
        } = segment
        else {
            continue;
        };
        let contains_nested = expression
            .nested
            .iter()
            .any(|nested| nested.range.start < range.end && range.start < nested.range.end);
        if contains_nested {
            continue;
        }
        let Some(criteria) = text.get(range.clone()) else {
            continue;
        };
        if let Err(message) = validate_filter(criteria) {
            first_error = Some(ExpressionError {
                kind: ExpressionErrorKind::InvalidPath,
                range: range.clone(),
                message,
            });
            break;
        }
    }
    if let Some(error) = first_error {
        expression.path = Err(error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single_path(text: &str) -> Path {
        let template = scan(text);
        let expression = template
            .single_expression()
            .unwrap_or_else(|| panic!("not a single expression: {text}"));
        match &expression.path {
            Ok(path) => path.clone(),
            Err(error) => panic!("unexpected error for {text}: {error:?}"),
        }
    }

    fn single_error(text: &str) -> ExpressionError {
        let template = scan(text);
        let errors: Vec<&ExpressionError> = template.errors().collect();
        assert_eq!(
            errors.len(),
            1,
            "expected exactly one error for {text}: {errors:?}"
        );
        errors[0].clone()
    }

    fn field(name: &str, range: Range<usize>) -> Segment {
        Segment::Field {
            name: name.to_string(),
            range,
        }
    }

    fn complex(kind: ComplexKind, range: Range<usize>) -> Segment {
        Segment::Complex { kind, range }
    }

    #[test]
    fn plain_text_is_one_literal() {
        let template = scan("hello world");
        assert_eq!(template.pieces, vec![Piece::Literal { range: 0..11 }]);
        assert!(template.is_literal());
        assert!(!template.is_single_expression());
        assert_eq!(
            template.literal_value("hello world").as_deref(),
            Some("hello world")
        );
    }

    #[test]
    fn empty_text_has_no_pieces() {
        let template = scan("");
        assert!(template.pieces.is_empty());
        assert!(!template.is_single_expression());
        assert_eq!(template.literal_value("").as_deref(), Some(""));
    }

    #[test]
    fn blanks_around_the_path_are_trimmed_like_jayway() {
        // `${ workflow.input.x }`: ranges still point at the names in the text.
        let path = single_path("${ workflow.input.x\t}");
        assert_eq!(path.root, Root::Workflow);
        assert_eq!(path.root_range, 3..11);
        assert_eq!(
            path.segments,
            vec![field("input", 12..17), field("x", 18..19)]
        );
    }

    #[test]
    fn workflow_input_path() {
        let path = single_path("${workflow.input.x}");
        assert_eq!(path.root, Root::Workflow);
        assert_eq!(path.root_range, 2..10);
        assert_eq!(
            path.segments,
            vec![field("input", 11..16), field("x", 17..18)]
        );
        assert!(path.is_plain());
    }

    #[test]
    fn task_output_with_indexes() {
        let text = "${ref.output.a.b[0][-1]}";
        let path = single_path(text);
        assert_eq!(path.root, Root::Task("ref".to_string(), 2..5));
        assert_eq!(
            path.segments,
            vec![
                field("output", 6..12),
                field("a", 13..14),
                field("b", 15..16),
                Segment::Index {
                    index: 0,
                    range: 16..19
                },
                Segment::Index {
                    index: -1,
                    range: 19..23
                },
            ]
        );
        assert_eq!(&text[16..19], "[0]");
    }

    #[test]
    fn single_expression_keeps_its_type_and_mixed_strings_do_not() {
        assert!(scan("${workflow.input.n}").is_single_expression());
        assert!(!scan(" ${workflow.input.n}").is_single_expression());
        assert!(!scan("${workflow.input.n} ").is_single_expression());
        assert!(!scan("${a}${b}").is_single_expression());
        assert!(!scan("${").is_single_expression());
        assert!(scan("${}").is_single_expression());
    }

    #[test]
    fn mixed_string_pieces_and_ranges() {
        let text = "id-${x.output.id}-${workflow.input.n}";
        let template = scan(text);
        assert_eq!(template.pieces.len(), 4);
        assert_eq!(template.pieces[0], Piece::Literal { range: 0..3 });
        assert_eq!(template.pieces[2], Piece::Literal { range: 17..18 });
        let expressions: Vec<&Expression> = template.expressions().collect();
        assert_eq!(expressions.len(), 2);
        assert_eq!(expressions[0].range, 3..17);
        assert_eq!(expressions[0].inner, 5..16);
        assert_eq!(expressions[0].inner_text(text), "x.output.id");
        assert_eq!(expressions[1].range, 18..37);
        let second = expressions[1].path.as_ref().expect("valid path");
        assert_eq!(second.root, Root::Workflow);
        assert_eq!(
            second.segments,
            vec![field("input", 29..34), field("n", 35..36)]
        );
        assert_eq!(template.literal_value(text), None);
    }

    #[test]
    fn escape_is_not_an_expression() {
        let text = "$${workflow.input.x}";
        let template = scan(text);
        assert_eq!(
            template.pieces,
            vec![
                Piece::Escape { range: 0..3 },
                Piece::Literal { range: 3..20 }
            ]
        );
        assert!(template.is_literal());
        assert_eq!(
            template.literal_value(text).as_deref(),
            Some("${workflow.input.x}")
        );
    }

    #[test]
    fn escape_after_a_dollar_follows_conductor_left_to_right() {
        let text = "$$${a}";
        let template = scan(text);
        assert_eq!(
            template.pieces,
            vec![
                Piece::Literal { range: 0..1 },
                Piece::Escape { range: 1..4 },
                Piece::Literal { range: 4..6 }
            ]
        );
        assert_eq!(template.literal_value(text).as_deref(), Some("$${a}"));
    }

    #[test]
    fn escape_next_to_expression() {
        let text = "$${x} ${workflow.input.y}";
        let template = scan(text);
        assert_eq!(template.pieces[0], Piece::Escape { range: 0..3 });
        assert_eq!(template.pieces[1], Piece::Literal { range: 3..6 });
        let expression = template.expressions().next().expect("one expression");
        assert_eq!(expression.range, 6..25);
    }

    #[test]
    fn empty_expressions_are_reported() {
        for text in ["${}", "${  }", "${\t}"] {
            let error = single_error(text);
            assert_eq!(error.kind, ExpressionErrorKind::Empty, "{text}");
            assert_eq!(error.range, 0..text.len());
        }
    }

    #[test]
    fn unterminated_expression_covers_the_opening() {
        let text = "a ${workflow.input";
        let template = scan(text);
        let error = single_error(text);
        assert_eq!(error.kind, ExpressionErrorKind::Unterminated);
        assert_eq!(error.range, 2..4);
        assert_eq!(
            template.pieces,
            vec![
                Piece::Literal { range: 0..2 },
                Piece::Expression(Expression {
                    range: 2..4,
                    inner: 4..4,
                    path: Err(error),
                    nested: Vec::new(),
                }),
                Piece::Literal { range: 4..18 },
            ]
        );
    }

    #[test]
    fn expression_inside_an_unterminated_one_is_found() {
        let text = "${a ${workflow.input.b}";
        let template = scan(text);
        let expressions: Vec<&Expression> = template.expressions().collect();
        assert_eq!(expressions.len(), 2);
        assert!(!expressions[0].is_terminated());
        assert_eq!(expressions[1].range, 4..23);
        assert!(expressions[1].path.is_ok());
    }

    #[test]
    fn braces_balance_like_conductor() {
        let text = "${a{b}c} }";
        let template = scan(text);
        let expression = template.expressions().next().expect("expression");
        assert_eq!(expression.range, 0..8);
        assert_eq!(
            template.pieces.last(),
            Some(&Piece::Literal { range: 8..10 })
        );
    }

    #[test]
    fn explicit_dollar_root() {
        let path = single_path("${$.workflow.input.x}");
        assert_eq!(path.root, Root::Workflow);
        assert_eq!(path.root_range, 4..12);
        assert_eq!(
            path.segments,
            vec![field("input", 13..18), field("x", 19..20)]
        );
    }

    #[test]
    fn bracket_root_and_fields() {
        let path = single_path("${$['my task'].output[\"a b\"]}");
        assert_eq!(path.root, Root::Task("my task".to_string(), 3..14));
        assert_eq!(
            path.segments,
            vec![field("output", 15..21), field("a b", 21..28)]
        );
    }

    #[test]
    fn bracket_field_after_name() {
        let text = "${loopTask['iteration']}";
        let path = single_path(text);
        assert_eq!(path.root, Root::Task("loopTask".to_string(), 2..10));
        assert_eq!(path.segments, vec![field("iteration", 10..23)]);
    }

    #[test]
    fn bracket_field_escapes() {
        let path = single_path(r"${a['it\'s']}");
        assert_eq!(path.segments, vec![field("it's", 3..12)]);
        let path = single_path(r"${a['\u00e9']}");
        assert_eq!(path.segments, vec![field("é", 3..13)]);
    }

    #[test]
    fn environment_names() {
        assert_eq!(
            single_path("${CPEWF_TASK_ID}").root,
            Root::Environment("CPEWF_TASK_ID".to_string())
        );
        assert_eq!(
            single_path("${NETFLIX_ENV}").root,
            Root::Environment("NETFLIX_ENV".to_string())
        );
        // With a trailing space the name is no longer an environment name, and with `$` it is a path.
        assert_eq!(
            single_path("${CPEWF_TASK_ID }").root,
            Root::Task("CPEWF_TASK_ID".to_string(), 2..15)
        );
        assert_eq!(
            single_path("${$.NETFLIX_ENV}").root,
            Root::Task("NETFLIX_ENV".to_string(), 4..15)
        );
        assert_eq!(single_path("${workflow}").root, Root::Workflow);
        let path = single_path("${a[}");
        assert_eq!(path.root, Root::Task("a".to_string(), 2..3));
    }

    #[test]
    fn wildcards() {
        assert_eq!(
            single_path("${a.*}").segments,
            vec![Segment::Wildcard { range: 4..5 }]
        );
        assert_eq!(
            single_path("${a[*]}").segments,
            vec![Segment::Wildcard { range: 3..6 }]
        );
        assert_eq!(
            single_path("${a[ * ]}").segments,
            vec![Segment::Wildcard { range: 3..8 }]
        );
        assert_eq!(
            single_path("${a.*.b}").segments,
            vec![Segment::Wildcard { range: 4..5 }, field("b", 6..7)]
        );
    }

    #[test]
    fn complex_segments() {
        assert_eq!(
            single_path("${a..b}").segments,
            vec![complex(ComplexKind::DeepScan, 3..6)]
        );
        assert_eq!(
            single_path("${get_es_1.output..workflowId}").segments,
            vec![
                field("output", 11..17),
                complex(ComplexKind::DeepScan, 17..29)
            ]
        );
        assert_eq!(
            single_path("${a..[0]}").segments,
            vec![complex(ComplexKind::DeepScan, 3..8)]
        );
        assert_eq!(
            single_path("${a..*}").segments,
            vec![complex(ComplexKind::DeepScan, 3..6)]
        );
        assert_eq!(
            single_path("${a[?(@.x > 1)]}").segments,
            vec![complex(ComplexKind::Filter, 3..15)]
        );
        assert_eq!(
            single_path("${a[1:3]}").segments,
            vec![complex(ComplexKind::Slice, 3..8)]
        );
        assert_eq!(
            single_path("${a[:2]}").segments,
            vec![complex(ComplexKind::Slice, 3..7)]
        );
        assert_eq!(
            single_path("${a[-2:]}").segments,
            vec![complex(ComplexKind::Slice, 3..8)]
        );
        assert_eq!(
            single_path("${a[0,1]}").segments,
            vec![complex(ComplexKind::IndexList, 3..8)]
        );
        assert_eq!(
            single_path("${a[0, 1]}").segments,
            vec![complex(ComplexKind::IndexList, 3..9)]
        );
        assert_eq!(
            single_path("${a['b','c']}").segments,
            vec![complex(ComplexKind::FieldList, 3..12)]
        );
        assert_eq!(
            single_path("${a.length()}").segments,
            vec![complex(ComplexKind::Function, 4..12)]
        );
        assert_eq!(
            single_path("${fetch.output.response.body.length()}").segments,
            vec![
                field("output", 8..14),
                field("response", 15..23),
                field("body", 24..28),
                complex(ComplexKind::Function, 29..37)
            ]
        );
        assert!(!single_path("${a[0,1]}").is_plain());
    }

    #[test]
    fn leading_dot_and_bracket_are_read_from_the_document() {
        let path = single_path("${[0]}");
        assert_eq!(path.root, Root::Document);
        assert_eq!(path.root_range, 2..2);
        assert_eq!(
            path.segments,
            vec![Segment::Index {
                index: 0,
                range: 2..5
            }]
        );
        let path = single_path("${$..a}");
        assert_eq!(path.root, Root::Document);
        assert_eq!(path.root_range, 2..3);
        assert_eq!(path.segments, vec![complex(ComplexKind::DeepScan, 3..6)]);
        let path = single_path("${$}");
        assert_eq!(path.root, Root::Document);
        assert!(path.segments.is_empty());
    }

    #[test]
    fn jayway_filters_that_rfc_9535_does_not_share_are_accepted() {
        for text in [
            "${a[?(@.x =~ /ab.*/i)]}",
            "${a[?(@.x in ['a','b'])]}",
            "${a[?(@.x size 2)]}",
            "${a[?(@.x-y == 1)]}",
            "${a[?(@.x.length() > 1)]}",
            "${a[?(@.x[*] == 1)]}",
            "${a[?(@..x == 1)]}",
            "${a[?(@.x === 1)]}",
            "${a[?(@.x == 'it\\'s')]}",
            "${a[?(@.x == {\"a\":1})]}",
            "${a[?(@.status == 'COMPLETED' && @.retryCount > 0)]}",
            "${a[?(@['b c'] == 1)]}",
            "${a[?(!@.x)]}",
        ] {
            let path = single_path(text);
            assert!(
                matches!(
                    path.segments.last(),
                    Some(Segment::Complex {
                        kind: ComplexKind::Filter,
                        ..
                    })
                ),
                "{text}"
            );
        }
    }

    #[test]
    fn invalid_filters_are_reported_on_the_filter() {
        let text = "${a[?(@.x == )]}";
        let error = single_error(text);
        assert_eq!(error.kind, ExpressionErrorKind::InvalidPath);
        assert_eq!(error.range, 3..15);
        assert!(
            error.message.starts_with("invalid filter"),
            "{}",
            error.message
        );

        let text = "${a[?(@.x == 'b)]}";
        let error = single_error(text);
        assert_eq!(error.range, 13..17);
        assert!(error.message.contains("never closed"), "{}", error.message);

        let text = "${a[?(@.x > 1]}";
        let error = single_error(text);
        assert_eq!(&text[error.range.clone()], "(");

        let text = "${a[?]}";
        let error = single_error(text);
        assert_eq!(error.range, 3..6);

        let text = "${a[?@.x]}";
        let error = single_error(text);
        assert_eq!(&text[error.range.clone()], "?");
    }

    #[test]
    fn invalid_paths_have_precise_ranges() {
        let cases: [(&str, &str); 16] = [
            ("${a.b.}", "."),
            ("${a..}", ".."),
            ("${a...b}", "."),
            ("${a b}", " "),
            ("${$x}", "x"),
            ("${a['b}", "'b"),
            ("${a['b' 'c']}", "'"),
            ("${a['x,y']}", "]"),
            ("${a[1,]}", "[1,]"),
            ("${a[::2]}", "[::2]"),
            ("${a[:]}", "[:]"),
            ("${a[99999999999]}", "[99999999999]"),
            ("${a[*x]}", "*"),
            ("${a[b]}", "["),
            ("${a.len(1}", "("),
            ("${a.(x)}", "("),
        ];
        for (text, expected) in cases {
            let error = single_error(text);
            assert_eq!(error.kind, ExpressionErrorKind::InvalidPath, "{text}");
            assert_eq!(
                &text[error.range.clone()],
                expected,
                "{text}: {}",
                error.message
            );
        }
    }

    #[test]
    fn trailing_spaces_are_trimmed_and_one_stray_character_after_a_bracket_is_ignored() {
        let path = single_path("${workflow.input.x  }");
        assert_eq!(
            path.segments,
            vec![field("input", 11..16), field("x", 17..18)]
        );
        let path = single_path("${a[0]x}");
        assert_eq!(
            path.segments,
            vec![Segment::Index {
                index: 0,
                range: 3..6
            }]
        );
        let path = single_path("${a[0]xy}");
        assert_eq!(
            path.segments,
            vec![
                Segment::Index {
                    index: 0,
                    range: 3..6
                },
                field("xy", 6..8)
            ]
        );
    }

    #[test]
    fn jayway_names_are_permissive() {
        let path = single_path("${my-task.output.a:b.$c}");
        assert_eq!(path.root, Root::Task("my-task".to_string(), 2..9));
        assert_eq!(
            path.segments,
            vec![
                field("output", 10..16),
                field("a:b", 17..20),
                field("$c", 21..23)
            ]
        );
    }

    #[test]
    fn nested_expression_makes_the_rest_dynamic() {
        let text = "${workflow.input.${workflow.input.key}}";
        let template = scan(text);
        let expression = template.single_expression().expect("single");
        assert_eq!(expression.nested.len(), 1);
        assert_eq!(expression.nested[0].range, 17..38);
        let inner_path = expression.nested[0].path.as_ref().expect("inner path");
        assert_eq!(
            inner_path.segments,
            vec![field("input", 28..33), field("key", 34..37)]
        );
        let path = expression.path.as_ref().expect("outer path");
        assert_eq!(path.root, Root::Workflow);
        assert_eq!(
            path.segments,
            vec![field("input", 11..16), Segment::Dynamic { range: 17..38 }]
        );
        assert!(!path.is_plain());
        assert_eq!(template.all_expressions().count(), 2);
    }

    #[test]
    fn nested_expression_in_a_name_bracket_or_root() {
        let path = single_path("${a.b${x}.c}");
        assert_eq!(path.segments, vec![Segment::Dynamic { range: 4..11 }]);
        let path = single_path("${a[${x}].c}");
        assert_eq!(path.segments, vec![Segment::Dynamic { range: 3..11 }]);
        let path = single_path("${a['${x}']}");
        assert_eq!(path.segments, vec![Segment::Dynamic { range: 3..11 }]);
        let path = single_path("${${x}.output}");
        assert_eq!(path.root, Root::Dynamic);
        assert_eq!(path.root_range, 2..13);
        assert!(path.segments.is_empty());
        let path = single_path("${a[?(@.id == '${workflow.input.id}')].b}");
        assert_eq!(path.segments, vec![Segment::Dynamic { range: 3..40 }]);
    }

    #[test]
    fn errors_before_a_nested_expression_are_still_reported() {
        let error = single_error("${a b.${x}}");
        assert_eq!(error.range, 3..4);
    }

    #[test]
    fn all_expressions_walks_outer_before_inner() {
        let text = "${a.${b.${c}}} ${d}";
        let template = scan(text);
        let ranges: Vec<Range<usize>> = template
            .all_expressions()
            .map(|expression| expression.range.clone())
            .collect();
        assert_eq!(ranges, vec![0..14, 4..13, 8..12, 15..19]);
    }

    #[test]
    fn very_deep_nesting_is_cut_off() {
        let depth = 100;
        let text = format!("{}x{}", "${a.".repeat(depth), "}".repeat(depth));
        let template = scan(&text);
        assert!(
            template
                .errors()
                .any(|error| error.kind == ExpressionErrorKind::TooDeeplyNested)
        );
    }

    #[test]
    fn unicode_around_and_inside_expressions() {
        let text = "ключ ${ключ.output.значение} ✓ ${workflow.input.é}";
        let template = scan(text);
        let expressions: Vec<&Expression> = template.expressions().collect();
        assert_eq!(expressions.len(), 2);
        assert_eq!(
            &text[expressions[0].range.clone()],
            "${ключ.output.значение}"
        );
        let path = expressions[0].path.as_ref().expect("path");
        assert_eq!(path.root, Root::Task("ключ".to_string(), 11..19));
        assert_eq!(&text[path.segments[1].range()], "значение");
        let path = expressions[1].path.as_ref().expect("path");
        assert_eq!(&text[path.segments[1].range()], "é");
        assert_eq!(template.pieces[0], Piece::Literal { range: 0..9 });
    }

    #[test]
    fn masking_keeps_offsets() {
        let text = "a ${x.output} $${y} ${";
        let template = scan(text);
        let masked = template.with_expressions_masked(text, '.', '_');
        assert_eq!(masked, "a .__________  ${y} ${");
        assert_eq!(masked.len(), text.len());
        assert_eq!(template.masked_ranges().collect::<Vec<_>>(), vec![2..13]);
        let text = "é${ключ}é";
        let masked = scan(text).with_expressions_masked(text, 'é', 'ü');
        assert_eq!(masked.len(), text.len());
        assert_eq!(masked, format!("é{}é", "_".repeat(11)));
    }

    #[test]
    fn multiline_text_is_scanned() {
        let text = "${workflow.input.policy}\nRequest: ${workflow.input.userInput}";
        let template = scan(text);
        assert_eq!(template.expressions().count(), 2);
        assert_eq!(template.errors().count(), 0);
    }

    proptest::proptest! {
        #[test]
        fn scanning_never_panics_and_ranges_are_valid(text in "\\PC*") {
            check_ranges(&text);
        }

        #[test]
        fn scanning_expression_like_text_never_panics(
            text in "([$]{0,3}\\{|\\}|[a-z.\\[\\]'\"?@*:,()0-9 -]|é|ключ){0,40}"
        ) {
            check_ranges(&text);
        }
    }

    fn check_ranges(text: &str) {
        let valid = |range: &Range<usize>| {
            range.start <= range.end
                && range.end <= text.len()
                && text.is_char_boundary(range.start)
                && text.is_char_boundary(range.end)
        };
        let template = scan(text);
        let mut covered = 0;
        for piece in &template.pieces {
            let range = match piece {
                Piece::Literal { range } | Piece::Escape { range } => range.clone(),
                Piece::Expression(expression) => expression.range.clone(),
            };
            assert!(valid(&range), "{range:?} in {text:?}");
            assert_eq!(
                range.start, covered,
                "pieces must be contiguous in {text:?}"
            );
            covered = range.end;
        }
        assert_eq!(covered, text.len(), "pieces must cover {text:?}");
        for expression in template.all_expressions() {
            assert!(
                valid(&expression.range) && valid(&expression.inner),
                "{text:?}"
            );
            match &expression.path {
                Ok(path) => {
                    assert!(valid(&path.root_range), "{text:?}");
                    if let Root::Task(_, range) = &path.root {
                        assert!(valid(range), "{text:?}");
                    }
                    for segment in &path.segments {
                        assert!(valid(&segment.range()), "{segment:?} in {text:?}");
                    }
                }
                Err(error) => assert!(valid(&error.range), "{error:?} in {text:?}"),
            }
        }
    }
}
