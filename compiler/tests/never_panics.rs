//! Property tests: analysis never panics on any input, and every span it reports (primary,
//! secondary and fix edits) lies within its file, on character boundaries.
//!
//! Random text alone rarely gets past the YAML parser, so most cases are *mutations* of the
//! example workflows (characters deleted, inserted, duplicated or swapped at random places): the
//! inputs a language server sees while someone types.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use wfc_compiler::config::Config;
use wfc_compiler::diagnostic::Span;
use wfc_compiler::project::{InputFile, NoLoader, analyze};

fn examples() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut files = Vec::new();
    let mut pending = vec![root];
    while let Some(directory) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&directory) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let is_yaml = path
                .extension()
                .is_some_and(|extension| extension == "yaml");
            if path.is_dir() {
                pending.push(path);
            } else if let Some(text) = is_yaml
                .then(|| std::fs::read_to_string(&path).ok())
                .flatten()
            {
                files.push((path.to_string_lossy().into_owned(), text));
            }
        }
    }
    files.sort();
    assert!(!files.is_empty(), "examples/ has workflows");
    files
}

fn assert_spans_in_bounds(files: Vec<InputFile>) {
    let analysis = analyze(files, &NoLoader, &Config::default());
    for diagnostic in &analysis.diagnostics {
        let mut spans: Vec<(wfc_compiler::FileId, Span)> = vec![(diagnostic.file, diagnostic.span)];
        spans.extend(
            diagnostic
                .labels
                .iter()
                .map(|label| (label.file, label.span)),
        );
        if let Some(fix) = &diagnostic.fix {
            spans.extend(fix.edits.iter().map(|edit| (edit.file, edit.span)));
        }
        for (file, span) in spans {
            let text = analysis.sources.text(file);
            assert!(span.start <= span.end, "{diagnostic:?}: inverted span");
            assert!(
                (span.end as usize) <= text.len(),
                "{diagnostic:?}: span past the end of {} bytes",
                text.len()
            );
            assert!(
                text.is_char_boundary(span.start as usize)
                    && text.is_char_boundary(span.end as usize),
                "{diagnostic:?}: span splits a character"
            );
        }
        assert!(!diagnostic.message.is_empty());
    }
    // Rendering must not panic either.
    let _ = wfc_compiler::render::human::render(
        &analysis.sources,
        &analysis.diagnostics,
        &wfc_compiler::render::Options::default(),
    );
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: usize, length: usize },
    Insert { at: usize, text: String },
    Duplicate { at: usize, length: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let fragments = prop_oneof![
        Just("${".to_string()),
        Just("}".to_string()),
        Just(":".to_string()),
        Just("\n  ".to_string()),
        Just("- ".to_string()),
        Just("\"".to_string()),
        Just("'".to_string()),
        Just("&a ".to_string()),
        Just("*a".to_string()),
        Just("[".to_string()),
        Just("{".to_string()),
        Just("é😀".to_string()),
        Just("\t".to_string()),
        Just("#".to_string()),
        "[a-z_.\\[\\]0-9]{1,8}",
        any::<String>(),
    ];
    prop_oneof![
        (any::<usize>(), 1usize..20).prop_map(|(at, length)| Mutation::Delete { at, length }),
        (any::<usize>(), fragments).prop_map(|(at, text)| Mutation::Insert { at, text }),
        (any::<usize>(), 1usize..80).prop_map(|(at, length)| Mutation::Duplicate { at, length }),
    ]
}

fn boundary(text: &str, at: usize) -> usize {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &str, mutation: &Mutation) -> String {
    let mut text = text.to_string();
    match mutation {
        Mutation::Delete { at, length } => {
            let start = boundary(&text, *at);
            let end = boundary(&text, (start + length).min(text.len()));
            text.replace_range(start..end.max(start), "");
        }
        Mutation::Insert { at, text: inserted } => {
            let at = boundary(&text, *at);
            text.insert_str(at, inserted);
        }
        Mutation::Duplicate { at, length } => {
            let start = boundary(&text, *at);
            let end = boundary(&text, (start + length).min(text.len()));
            let copy = text[start..end.max(start)].to_string();
            text.insert_str(end.max(start), &copy);
        }
    }
    text
}

/// Conductor-like JSON: field names and task types of real definitions, awkward strings.
fn conductor_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let text = prop::sample::select(vec![
        "SIMPLE",
        "HTTP",
        "SWITCH",
        "FORK_JOIN",
        "JOIN",
        "DO_WHILE",
        "WAIT",
        "INLINE",
        "TERMINATE",
        "a",
        "b",
        "${a.output.x}",
        "${workflow.input.x}",
        "value-param",
        "javascript",
        "true",
        "12",
        "a: b",
        " lead",
        "#x",
        "multi\nline\n",
        "10 seconds",
        "GET",
        "$${x}",
        "",
    ])
    .prop_map(|text| Value::from(text.to_string()));
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        text,
        any::<String>().prop_map(Value::from),
    ];
    let key = prop::sample::select(vec![
        "name",
        "taskReferenceName",
        "type",
        "tasks",
        "inputParameters",
        "forkTasks",
        "decisionCases",
        "defaultCase",
        "loopOver",
        "loopCondition",
        "joinOn",
        "http_request",
        "uri",
        "method",
        "expression",
        "evaluatorType",
        "duration",
        "subWorkflowParam",
        "version",
        "outputParameters",
        "optional",
        "x",
    ]);
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6).prop_map(|entries| {
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(key, value)| (key.to_string(), value))
                        .collect(),
                )
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Any definition imports without panicking, into YAML that parses.
    #[test]
    fn import_never_panics_and_writes_valid_yaml(tasks in prop::collection::vec(conductor_json(), 0..6), document in conductor_json()) {
        use wfc_compiler::import::{ImportInput, import};
        let workflow = serde_json::json!({"name": "w", "tasks": tasks});
        for value in [workflow, document] {
            let imported = import(&[ImportInput { name: "x.json".to_string(), value }]);
            let files: Vec<InputFile> = imported.files.iter().map(|file| InputFile { path: PathBuf::from(&file.name), text: file.text.clone() }).collect();
            let analysis = analyze(files, &NoLoader, &Config::default());
            let syntax_errors: Vec<&str> = analysis.diagnostics.iter().filter(|diagnostic| diagnostic.code == "WF001").map(|diagnostic| diagnostic.message.as_str()).collect();
            prop_assert!(syntax_errors.is_empty(), "{:?}\n{:?}", syntax_errors, imported.files);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>(), contract in any::<bool>()) {
        let name = if contract { "x.workers.yaml" } else { "x.wf.yaml" };
        assert_spans_in_bounds(vec![InputFile { path: PathBuf::from(name), text }]);
    }

    #[test]
    fn edited_examples_never_panic(example in any::<prop::sample::Index>(), mutations in prop::collection::vec(mutation(), 1..6)) {
        let files = examples();
        let (path, text) = &files[example.index(files.len())];
        let mut edited = text.clone();
        for mutation in &mutations {
            edited = apply(&edited, mutation);
        }
        let mut inputs: Vec<InputFile> = files.iter().filter(|(other, _)| other != path).map(|(path, text)| InputFile { path: PathBuf::from(path), text: text.clone() }).collect();
        inputs.push(InputFile { path: PathBuf::from(path), text: edited });
        assert_spans_in_bounds(inputs);
    }
}

#[test]
fn pathological_inputs_get_diagnostics_not_panics() {
    let deep_flow = "[".repeat(10_000);
    let deep_block: String = (0..10_000)
        .map(|level| format!("{}k:\n", " ".repeat(level % 200)))
        .collect();
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..12 {
        let previous = level - 1;
        bomb.push_str(&format!(
            "a{level}: &a{level} [{}]\n",
            vec![format!("*a{previous}"); 10].join(", ")
        ));
    }
    let long_line = format!(
        "workflow: w\nowner: a@b.c\ntasks:\n  a: {{noop: true, description: \"{}\"}}\n",
        "x".repeat(5_000_000)
    );
    let many_expressions = format!(
        "workflow: w\nowner: a@b.c\ntasks:\n  a: {{noop: true, input: {{x: \"{}\"}}}}\n",
        "${a.output.b}".repeat(20_000)
    );
    for text in [
        String::new(),
        "\0\u{1}binary".to_string(),
        deep_flow,
        deep_block,
        bomb,
        long_line,
        many_expressions,
        "---\na: 1\n---\nb: 2\n".to_string(),
    ] {
        assert_spans_in_bounds(vec![InputFile {
            path: PathBuf::from("x.wf.yaml"),
            text,
        }]);
    }
}
