//! Parsing one large file on several threads.
//!
//! A YAML parser is sequential, and a generated workflow of 100,000 tasks is one file of tens of
//! megabytes, nearly all of it the block mapping under `tasks:`. That mapping's entries start on
//! lines indented by the same number of spaces, so it can be cut there into pieces that are
//! parsed independently and whose entries are then concatenated. The rest of the document is
//! parsed with the mapping's text cut out (offsets after the cut are moved back), and the mapping
//! is put back in place of the empty value the cut left.
//!
//! The split is only an optimisation, and must never change a result. So it is attempted only
//! on plainly written files (root keys at column 0, no document markers, directives or tabs in
//! indentation), and the sequential parse is used instead whenever any piece reports anything
//! (a syntax error, a duplicate key, a limit), uses an alias, or repeats a key of another piece:
//! a piece that ends inside a multi-line scalar or flow collection fails to parse, so a bad cut
//! falls back rather than producing a different tree. Each piece ends where the next entry's key
//! begins (after that line's indentation), so that the spans of the nodes it closes end where the
//! sequential parser ends them. `tests::pieces_agree_with_the_sequential_parse` compares both on
//! every kind of text.

use std::ops::Range;

use rustc_hash::FxHashSet;

use super::{Built, Entry, Node, NodeKind, Parsed, Piece, build};
use crate::diagnostic::Span;
use crate::source::FileId;

/// Files smaller than this are parsed on one thread: below it, starting threads costs more than
/// it saves.
pub(super) const PIECES_MIN_BYTES: usize = 256 * 1024;

/// Fewest entries per piece, so that a mapping of a few huge entries is not split.
const ENTRIES_PER_PIECE_MIN: usize = 8;

/// Where a document can be cut: the block mapping that is the value of one root key.
#[derive(Debug, PartialEq, Eq)]
struct Split {
    /// Byte offset of the root key's line.
    root_key: usize,
    /// The mapping's text: from the line of its first entry to the end of the root entry.
    body: Range<usize>,
    /// Line start and key offset (after the indentation) of every entry of the mapping.
    entries: Vec<(usize, usize)>,
}

/// Parses `text` in pieces on up to `threads` threads, or returns `None` when the text cannot be
/// split or a piece does not parse cleanly (the caller then parses it whole).
pub(super) fn parse_in_pieces(file: FileId, text: &str, threads: usize) -> Option<Parsed> {
    if threads < 2 || text.len() < PIECES_MIN_BYTES {
        return None;
    }
    parse_split(file, text, threads, ENTRIES_PER_PIECE_MIN)
}

/// [`parse_in_pieces`] without the size threshold.
fn parse_split(
    file: FileId,
    text: &str,
    threads: usize,
    entries_per_piece_min: usize,
) -> Option<Parsed> {
    let split = find_split(text)?;
    let pieces = cut(&split, threads, entries_per_piece_min);
    if pieces.len() < 2 {
        return None;
    }
    let outer_text = [&text[..split.body.start], &text[split.body.end..]].concat();
    // The outer document and the first piece on this thread, the other pieces on their own.
    let (outer, built) = std::thread::scope(|scope| {
        let handles: Vec<_> = pieces[1..]
            .iter()
            .map(|piece| scope.spawn(move || build(file, text, *piece)))
            .collect();
        let outer = build(file, &outer_text, super::Piece::whole(&outer_text));
        let outer = restore_offsets(outer, &split.body);
        let mut built = vec![build(file, text, pieces[0])];
        for handle in handles {
            built.push(handle.join().ok()?);
        }
        Some((outer, built))
    })?;
    assemble(outer?, built, &split)
}

/// Puts the pieces' entries into the outer document, or `None` when anything would make the
/// result differ from the sequential parse.
fn assemble(outer: Built, pieces: Vec<Built>, split: &Split) -> Option<Parsed> {
    if !clean(&outer) {
        return None;
    }
    let mut entries: Vec<Entry> = Vec::new();
    let mut mapping_span: Option<Span> = None;
    for piece in pieces {
        if !clean(&piece) {
            return None;
        }
        let root = piece.parsed.root?;
        let NodeKind::Mapping(piece_entries) = root.kind else {
            return None;
        };
        mapping_span = Some(match mapping_span {
            None => root.span,
            Some(first) => Span {
                start: first.start,
                end: root.span.end,
            },
        });
        entries.extend(piece_entries);
    }
    let mut keys: FxHashSet<&str> = FxHashSet::default();
    for entry in &entries {
        if !keys.insert(entry.key.as_str()?) {
            return None;
        }
    }
    let span = mapping_span?;
    let mut root = outer.parsed.root?;
    let NodeKind::Mapping(root_entries) = &mut root.kind else {
        return None;
    };
    let slot = root_entries
        .iter_mut()
        .find(|entry| entry.key.span.range().start == split.root_key)?;
    if !slot.value.is_null() {
        return None;
    }
    slot.value = Node {
        kind: NodeKind::Mapping(entries),
        span,
    };
    Some(Parsed {
        root: Some(root),
        diagnostics: Vec::new(),
    })
}

/// Whether a piece parsed without any diagnostic or alias.
fn clean(built: &Built) -> bool {
    built.parsed.diagnostics.is_empty() && !built.used_aliases && built.parsed.root.is_some()
}

/// The outer document was parsed with the mapping's text (`body`) cut out: moves every offset
/// at or after the cut back to where it is in the whole text. `None` when the outer document
/// did not parse cleanly (its diagnostics would have the cut text's offsets).
fn restore_offsets(mut outer: Built, body: &Range<usize>) -> Option<Built> {
    if !clean(&outer) {
        return None;
    }
    let cut = u32::try_from(body.start).ok()?;
    let length = u32::try_from(body.len()).ok()?;
    let shift = |offset: &mut u32| {
        if *offset >= cut {
            *offset += length;
        }
    };
    let mut pending: Vec<&mut Node> = outer.parsed.root.iter_mut().collect();
    while let Some(node) = pending.pop() {
        shift(&mut node.span.start);
        shift(&mut node.span.end);
        match &mut node.kind {
            NodeKind::Scalar(scalar) => scalar.map.shift_source_offsets(shift),
            NodeKind::Sequence(items) => pending.extend(items.iter_mut()),
            NodeKind::Mapping(entries) => {
                for entry in entries {
                    pending.push(&mut entry.key);
                    pending.push(&mut entry.value);
                }
            }
        }
    }
    Some(outer)
}

/// Whether a line's first character can start a key we are willing to cut before.
fn starts_plain_key(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// One line of the text: where it starts, its indentation, and its first other byte (`None` for
/// a blank line). Comment lines are reported with `#`.
struct Line {
    start: usize,
    indent: usize,
    first: Option<u8>,
}

fn lines(text: &str) -> impl Iterator<Item = Line> + '_ {
    let bytes = text.as_bytes();
    // Line ends found with SIMD: finding the cut of a 1.7 MB file byte by byte took 2.7 ms (now
    // 1.2 ms), on one thread before the parsing threads start.
    let mut ends = memchr::memchr_iter(b'\n', bytes);
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= bytes.len() {
            return None;
        }
        let end = ends.next().map_or(bytes.len(), |newline| newline + 1);
        let line = &bytes[start..end];
        let indent = line.iter().take_while(|byte| **byte == b' ').count();
        let first = line[indent..]
            .iter()
            .copied()
            .find(|byte| !matches!(byte, b'\r' | b'\n'))
            .filter(|_| indent < line.len());
        let found = Line {
            start,
            indent,
            first,
        };
        start = end;
        Some(found)
    })
}

/// Finds the root key whose value is the largest block mapping, and its entries; `None` when the
/// document is not written plainly enough to be cut safely.
fn find_split(text: &str) -> Option<Split> {
    // Root keys: every line at column 0 that is not blank or a comment.
    let mut root_keys: Vec<usize> = Vec::new();
    for line in lines(text) {
        match line.first {
            None | Some(b'#') => {}
            Some(b'\t') => return None,
            Some(first) if line.indent == 0 => {
                if !starts_plain_key(first) {
                    return None;
                }
                root_keys.push(line.start);
            }
            Some(_) => {}
        }
    }
    let ends = root_keys
        .iter()
        .skip(1)
        .copied()
        .chain(std::iter::once(text.len()));
    let (root_key, root_end) = root_keys
        .iter()
        .copied()
        .zip(ends)
        .max_by_key(|(start, end)| (end - start, std::cmp::Reverse(*start)))?;
    let entry = &text[root_key..root_end];
    let header_end = entry.find('\n')? + 1;
    // The key's line is `name:` and nothing else (a comment at most).
    let header = entry[..header_end].trim_end();
    let colon = header.find(':')?;
    if !header[..colon]
        .bytes()
        .all(|byte| starts_plain_key(byte) || byte == b'-')
    {
        return None;
    }
    let after = header[colon + 1..].trim_start();
    if !(after.is_empty() || after.starts_with('#')) {
        return None;
    }
    let mut entries: Vec<(usize, usize)> = Vec::new();
    let mut indent = None;
    for line in lines(&text[root_key + header_end..root_end]) {
        let Some(first) = line.first else {
            continue;
        };
        if first == b'#' {
            continue;
        }
        if first == b'\t' {
            return None;
        }
        let start = root_key + header_end + line.start;
        match indent {
            None => {
                if line.indent == 0 || !starts_plain_key(first) {
                    return None;
                }
                indent = Some(line.indent);
                entries.push((start, start + line.indent));
            }
            Some(indent) if line.indent < indent => return None,
            Some(indent) if line.indent == indent => {
                if !starts_plain_key(first) {
                    return None;
                }
                entries.push((start, start + line.indent));
            }
            Some(_) => {}
        }
    }
    let body_start = entries.first()?.0;
    Some(Split {
        root_key,
        body: body_start..root_end,
        entries,
    })
}

/// Cuts the mapping into at most `threads` pieces of similar size, each of at least
/// `entries_per_piece_min` entries. A piece runs from the line of its first entry to the key of
/// the next piece's first entry (so it ends with that line's indentation).
fn cut(split: &Split, threads: usize, entries_per_piece_min: usize) -> Vec<Piece> {
    let count = threads
        .min(split.entries.len() / entries_per_piece_min.max(1))
        .max(1);
    let body_length = split.body.len();
    let mut pieces = Vec::with_capacity(count);
    let mut first_entry = 0;
    for index in 1..=count {
        let end_entry = if index == count {
            split.entries.len()
        } else {
            // The first entry at or beyond this share of the bytes.
            let target = split.body.start + body_length * index / count;
            split.entries[first_entry..]
                .iter()
                .position(|(line, _)| *line >= target)
                .map_or(split.entries.len(), |offset| first_entry + offset)
                .max(first_entry + 1)
        };
        if end_entry <= first_entry {
            break;
        }
        let end = split
            .entries
            .get(end_entry)
            .map_or(split.body.end, |(_, key)| *key);
        pieces.push(Piece {
            start: split.entries[first_entry].0,
            end,
            // Under the root mapping and its entry's mapping.
            depth: 2,
        });
        first_entry = end_entry;
        if first_entry >= split.entries.len() {
            break;
        }
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_corpus as corpus;

    /// The sequential parse of `text`.
    fn whole(text: &str) -> Parsed {
        build(FileId(0), text, Piece::whole(text)).parsed
    }

    /// Checks that a split parse, when there is one, equals the sequential parse; returns whether
    /// there was one.
    fn agrees(text: &str, threads: usize) -> bool {
        let sequential = whole(text);
        match parse_split(FileId(0), text, threads, 1) {
            Some(split) => {
                assert!(
                    sequential.diagnostics.is_empty(),
                    "a split parse must fall back on {:?}",
                    sequential.diagnostics
                );
                assert_eq!(split.root, sequential.root, "text:\n{text}");
                true
            }
            None => false,
        }
    }

    fn tasks(count: usize, body: impl Fn(usize) -> String) -> String {
        let mut text = String::from("# a workflow\nworkflow: w\nversion: 1\ntasks:\n");
        for index in 0..count {
            text.push_str(&body(index));
        }
        text
    }

    #[test]
    fn pieces_agree_with_the_sequential_parse() {
        let plain = tasks(40, |index| {
            format!(
                "  task_{index}:\n    worker: w\n    input:\n      id: ${{task_{index}.output.id}}\n"
            )
        });
        for threads in [2, 3, 8] {
            assert!(agrees(&plain, threads));
        }
        let with_outputs = format!("{plain}outputs:\n  id: ${{task_1.output.id}}\n");
        assert!(agrees(&with_outputs, 2));
        let crlf = plain.replace('\n', "\r\n");
        assert!(agrees(&crlf, 2));
        let unicode = tasks(40, |index| {
            format!(
                "  tâche_{index}:\n    worker: w\n    description: \"é\\tü ${{x}}\"\n    script: |\n      line ü\n        more\n\n  # note\n"
            )
            .replacen("tâche", "task", 1)
        });
        assert!(agrees(&unicode, 2));
        let flow_and_comments = tasks(40, |index| {
            format!("  t{index}: {{worker: w, input: [1, 2]}}   # trailing\n# between\n\n")
        });
        assert!(agrees(&flow_and_comments, 2));
        let nested_last = tasks(40, |index| {
            format!("  t{index}:\n    cases:\n      a:\n        x: [1,\n          2]\n")
        });
        assert!(agrees(&nested_last, 2));
    }

    #[test]
    fn falls_back_where_a_cut_could_change_the_tree() {
        // A multi-line quoted scalar across a cut, an alias, a duplicate key across pieces, a
        // document marker, a root sequence, tabs: the sequential parse decides.
        let mut quoted = tasks(40, |index| format!("  t{index}:\n    worker: w\n"));
        quoted.push_str("  last: \"a\n  b\"\n");
        agrees(&quoted, 2);
        let mut duplicate = tasks(40, |index| format!("  t{index}:\n    worker: w\n"));
        duplicate.push_str("  t0:\n    worker: w\n");
        assert!(!agrees(&duplicate, 2));
        let alias = tasks(40, |index| {
            if index == 0 {
                "  t0: &shared\n    worker: w\n".to_string()
            } else {
                format!("  t{index}: *shared\n")
            }
        });
        assert!(!agrees(&alias, 2));
        for prefix in ["---\n", "%YAML 1.2\n---\n", "- a\n", "\"quoted\": 1\n"] {
            let text = format!("{prefix}{}", tasks(40, |index| format!("  t{index}: 1\n")));
            assert!(!agrees(&text, 2), "{prefix:?}");
        }
        let tabs = tasks(40, |index| format!("  t{index}:\n\tworker: w\n"));
        assert!(!agrees(&tabs, 2));
        let few = tasks(9, |index| format!("  t{index}: 1\n"));
        assert!(parse_split(FileId(0), &few, 2, ENTRIES_PER_PIECE_MIN).is_none());
    }

    #[test]
    fn generated_workflows_are_split_and_agree() {
        for text in [corpus::workflow(0, 600), corpus::dag_workflow(0, 600)] {
            for threads in [2, 5] {
                assert!(agrees(&text, threads));
            }
        }
    }

    #[test]
    fn every_example_and_fixture_agrees() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut directories = Vec::new();
        crate::test_files::directories_with_yaml(&root.join("tests"), &mut directories);
        crate::test_files::directories_with_yaml(&root.join("../examples"), &mut directories);
        let mut checked = 0;
        let mut split = 0;
        for directory in directories {
            for file in crate::test_files::yaml_files(&directory) {
                if !file.text.contains('\0') {
                    split += usize::from(agrees(&file.text, 2));
                    checked += 1;
                }
            }
        }
        assert!(checked > 50, "only {checked} files found");
        assert!(split > 20, "only {split} of {checked} files were split");
    }
}
