//! Lowering: spanned YAML tree → typed model, by hand, collecting every diagnostic.
//!
//! We do not deserialize with serde: a serde error stops at the first problem and loses
//! positions. Instead each construct is read key by key; an unknown key, a missing key or a value
//! of the wrong kind is reported where it is and lowering carries on with what it could read.

use crate::diagnostic::{Diagnostic, Span};
use crate::model::*;
use crate::rules;
use crate::source::FileId;
use crate::suggest;
use crate::syntax::{Entry, Node, NodeKind, PlainValue};
use crate::types::{Field, ObjectType, Type, parse_type};

/// What a lowered file turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum LoweredFile {
    Workflow(Box<Workflow>),
    Contracts(ContractFile),
    /// Unusable (already reported).
    Nothing,
}

/// Keys every task accepts.
pub const COMMON_TASK_KEYS: &[&str] = &[
    "description",
    "input",
    "after",
    "optional",
    "permissive",
    "start_delay",
    "retries",
    "async_complete",
    "estimate",
    "compensate",
    "output",
    "raw",
];

/// Keys that decide a task's kind.
pub const KIND_KEYS: &[&str] = &[
    "worker",
    "http",
    "switch",
    "parallel",
    "for_each",
    "loop",
    "dynamic",
    "sub_workflow",
    "start_workflow",
    "wait",
    "human",
    "inline",
    "jq",
    "set",
    "terminate",
    "event",
    "kafka",
    "noop",
    "join",
    "exclusive_join",
];

pub const WORKFLOW_KEYS: &[&str] = &[
    "workflow",
    "version",
    "description",
    "owner",
    "timeout",
    "timeout_policy",
    "on_failure",
    "restartable",
    "status_listener",
    "imports",
    "types",
    "inputs",
    "outputs",
    "variables",
    "workers",
    "tasks",
    "raw",
];

pub const CONTRACT_FILE_KEYS: &[&str] = &["description", "types", "workers"];

pub const WORKER_KEYS: &[&str] = &[
    "description",
    "input",
    "output",
    "retry",
    "timeout",
    "total_timeout",
    "response_timeout",
    "poll_timeout",
    "timeout_policy",
    "rate_limit",
    "concurrency",
    "owner",
    "raw",
];

/// Extra keys each kind accepts besides [`COMMON_TASK_KEYS`] and its own kind key.
pub fn kind_extra_keys(kind: &str) -> &'static [&'static str] {
    match kind {
        "http" | "inline" | "jq" => &["returns"],
        "switch" => &["cases", "default"],
        "for_each" => &["worker", "sub_workflow", "version", "external"],
        "loop" => &["do"],
        "sub_workflow" => &["version", "external"],
        "start_workflow" => &["version", "external", "correlation_id"],
        "terminate" => &["reason", "result"],
        "exclusive_join" => &["default_join"],
        _ => &[],
    }
}

/// Kinds whose output comes from outside and may be declared with `output:`.
fn kind_accepts_output(kind: &str) -> bool {
    matches!(
        kind,
        "human"
            | "wait"
            | "dynamic"
            | "raw"
            | "event"
            | "kafka"
            | "join"
            | "exclusive_join"
            | "sub_workflow"
    )
}

/// Lowers a parsed file. `is_contract_file` is true for `*.workers.yaml` names.
pub fn lower_file(
    file: FileId,
    root: Option<&Node>,
    is_contract_file: bool,
    text_len: usize,
) -> (LoweredFile, Vec<Diagnostic>) {
    lower_file_with_threads(
        file,
        root,
        is_contract_file,
        text_len,
        crate::threads::available(),
    )
}

/// [`lower_file`] on at most `threads` threads.
fn lower_file_with_threads(
    file: FileId,
    root: Option<&Node>,
    is_contract_file: bool,
    text_len: usize,
    threads: usize,
) -> (LoweredFile, Vec<Diagnostic>) {
    let mut lowerer = Lowerer {
        file,
        diagnostics: Vec::new(),
        tasks: Vec::new(),
        threads,
    };
    let lowered = match root {
        None => {
            lowerer.diagnostics.push(
                Diagnostic::new(
                    &rules::not_a_workflow::RULE,
                    file,
                    Span::new(0, 0),
                    "empty file",
                )
                .with_label("nothing to check here")
                .with_help(if is_contract_file {
                    "a contract file declares `workers:` and `types:`"
                } else {
                    "a workflow file starts with `workflow: NAME`"
                }),
            );
            LoweredFile::Nothing
        }
        Some(root) => match root.as_mapping() {
            None => {
                // A whole-file span would underline every line: point at where the value starts.
                let span = match root.kind {
                    NodeKind::Scalar(_) => root.span,
                    _ => Span::new(root.span.start as usize, root.span.start as usize + 1),
                };
                lowerer.diagnostics.push(
                    Diagnostic::new(
                        &rules::not_a_workflow::RULE,
                        file,
                        span,
                        "expected a mapping at the top level",
                    )
                    .with_label(format!("found {}", root.kind_name()))
                    .with_help(if is_contract_file {
                        "a contract file is a mapping with `workers:` and/or `types:`"
                    } else {
                        "a workflow file starts with `workflow: NAME`; use `wfc import` to convert Conductor JSON"
                    }),
                );
                LoweredFile::Nothing
            }
            Some(entries) => {
                let looks_like_contracts = root.get("workflow").is_none()
                    && root.get("tasks").is_none()
                    && (root.get("workers").is_some() || root.get("types").is_some());
                if root.get("taskReferenceName").is_some()
                    || (root.get("name").is_some()
                        && root.get("tasks").is_some()
                        && root.get("workflow").is_none())
                {
                    lowerer.diagnostics.push(
                        Diagnostic::new(
                            &rules::not_a_workflow::RULE,
                            file,
                            entries
                                .iter()
                                .find(|entry| {
                                    matches!(entry.key.as_str(), Some("taskReferenceName" | "name"))
                                })
                                .map_or(root.span, |entry| entry.key.span),
                            "this is Conductor JSON, not a wfc workflow",
                        )
                        .with_label(if root.get("taskReferenceName").is_some() {
                            "a Conductor WorkflowTask"
                        } else {
                            "a Conductor WorkflowDef"
                        })
                        .with_help("convert it with `wfc import FILE.json`"),
                    );
                    LoweredFile::Nothing
                } else if is_contract_file || looks_like_contracts {
                    LoweredFile::Contracts(lowerer.contract_file(root, entries))
                } else if !entries.iter().any(|entry| {
                    entry.key.as_str().is_some_and(|key| {
                        WORKFLOW_KEYS.contains(&key)
                            || suggest::closest(key, WORKFLOW_KEYS.iter().copied()).is_some()
                    })
                }) {
                    // Nothing here is (or resembles) a workflow key: one finding, not a cascade
                    // of missing and unknown keys.
                    lowerer.diagnostics.push(
                        Diagnostic::new(&rules::not_a_workflow::RULE, file, entries.first().map_or(root.span, |entry| entry.key.span), "not a wfc workflow")
                            .with_label("no `workflow:` or `tasks:` key in this file")
                            .with_help("a workflow file starts with `workflow: NAME`; a contract file (`*.workers.yaml`) declares `workers:`"),
                    );
                    LoweredFile::Nothing
                } else {
                    LoweredFile::Workflow(Box::new(lowerer.workflow(root, entries, text_len)))
                }
            }
        },
    };
    (lowered, lowerer.diagnostics)
}

/// Task lists with at least this many tasks are lowered on several threads.
const PARALLEL_TASKS_MIN: usize = 2_000;

struct Lowerer {
    file: FileId,
    diagnostics: Vec<Diagnostic>,
    tasks: Vec<Task>,
    /// How many threads a large task list may be lowered on.
    threads: usize,
}

impl Lowerer {
    // ----- generic readers -------------------------------------------------------------------

    fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    fn wrong_type(&mut self, node: &Node, expected: &str, context: &str) {
        let diagnostic = Diagnostic::new(
            &rules::wrong_value_type::RULE,
            self.file,
            node.span,
            format!("expected {expected} for {context}"),
        )
        .with_label(format!("found {}", node.kind_name()));
        self.report(diagnostic);
    }

    fn mapping<'node>(&mut self, node: &'node Node, context: &str) -> Option<&'node [Entry]> {
        match &node.kind {
            NodeKind::Mapping(entries) => Some(entries),
            _ if node.is_null() => Some(&[]),
            _ => {
                self.wrong_type(node, "a mapping", context);
                None
            }
        }
    }

    /// Reports keys not in `allowed` (nor `also`), with a did-you-mean.
    fn check_keys<'entry>(
        &mut self,
        entries: impl IntoIterator<Item = &'entry Entry>,
        allowed: &[&[&str]],
        context: &str,
    ) {
        for entry in entries {
            let Some(key) = entry.key.as_str() else {
                self.wrong_type(&entry.key, "a string key", context);
                continue;
            };
            if allowed.iter().any(|list| list.contains(&key)) {
                continue;
            }
            let candidates = allowed.iter().flat_map(|list| list.iter().copied());
            let mut diagnostic = Diagnostic::new(
                &rules::unknown_key::RULE,
                self.file,
                entry.key.span,
                format!("unknown key `{key}` in {context}"),
            );
            match suggest::closest(key, candidates) {
                Some(candidate) => {
                    diagnostic = diagnostic
                        .with_label(format!("did you mean `{candidate}`?"))
                        .with_replacement(format!("rename to `{candidate}`"), candidate);
                }
                None => {
                    let mut names: Vec<&str> = allowed
                        .iter()
                        .flat_map(|list| list.iter().copied())
                        .collect();
                    names.sort_unstable();
                    diagnostic = diagnostic.with_help(format!(
                        "expected one of: {}; use `raw:` for Conductor fields wfc does not model",
                        names.join(", ")
                    ));
                }
            }
            self.report(diagnostic);
        }
    }

    fn missing(&mut self, span: Span, key: &str, context: &str, help: &str) {
        let diagnostic = Diagnostic::new(
            &rules::missing_key::RULE,
            self.file,
            span,
            format!("missing `{key}` in {context}"),
        )
        .with_help(help.to_string());
        self.report(diagnostic);
    }

    fn string(&mut self, node: &Node, context: &str) -> Option<Spanned<String>> {
        match node.plain_value() {
            Some(PlainValue::Null) | None => {
                self.wrong_type(node, "a string", context);
                None
            }
            Some(_) => node
                .as_str()
                .map(|text| Spanned::new(text.to_string(), node.span)),
        }
    }

    fn int(&mut self, node: &Node, context: &str) -> Option<Spanned<i64>> {
        match node.plain_value() {
            Some(PlainValue::Int(value)) => Some(Spanned::new(value, node.span)),
            _ => {
                self.wrong_type(node, "an integer", context);
                None
            }
        }
    }

    fn bool(&mut self, node: &Node, context: &str) -> Option<bool> {
        match node.plain_value() {
            Some(PlainValue::Bool(value)) => Some(value),
            _ => {
                self.wrong_type(node, "`true` or `false`", context);
                None
            }
        }
    }

    /// A duration in milliseconds.
    fn duration(&mut self, node: &Node, context: &str) -> Option<Spanned<u64>> {
        match node.plain_value() {
            Some(PlainValue::Int(seconds)) if seconds >= 0 => {
                Some(Spanned::new(seconds as u64 * 1000, node.span))
            }
            Some(PlainValue::Int(seconds)) => {
                let diagnostic = Diagnostic::new(
                    &rules::value_out_of_range::RULE,
                    self.file,
                    node.span,
                    format!("{context} must be at least 0"),
                )
                .with_label(format!("{seconds} is too small"));
                self.report(diagnostic);
                None
            }
            Some(PlainValue::String) => {
                let text = node.as_str().unwrap_or_default();
                match parse_duration_ms(text) {
                    Some(milliseconds) => Some(Spanned::new(milliseconds, node.span)),
                    None => {
                        let diagnostic = Diagnostic::new(&rules::invalid_duration::RULE, self.file, node.span, format!("invalid duration for {context}"))
                            .with_label(format!("`{text}` is not a duration"))
                            .with_help("write seconds as an integer, or e.g. `90s`, `10m`, `1h30m`, `2d`, `250ms`");
                        self.report(diagnostic);
                        None
                    }
                }
            }
            _ => {
                let diagnostic = Diagnostic::new(
                    &rules::invalid_duration::RULE,
                    self.file,
                    node.span,
                    format!("invalid duration for {context}"),
                )
                .with_label(format!("found {}", node.kind_name()))
                .with_help("write seconds as an integer, or e.g. `90s`, `10m`, `1h30m`");
                self.report(diagnostic);
                None
            }
        }
    }

    fn ref_list(&mut self, node: &Node, context: &str) -> Vec<Spanned<String>> {
        match &node.kind {
            NodeKind::Sequence(items) => items
                .iter()
                .filter_map(|item| self.string(item, context))
                .collect(),
            _ if node.is_null() => Vec::new(),
            _ => self.string(node, context).into_iter().collect(),
        }
    }

    // ----- types -----------------------------------------------------------------------------

    /// Reads a type: a type expression string, or a mapping (an object type).
    fn type_of(&mut self, node: &Node, context: &str) -> Type {
        match &node.kind {
            NodeKind::Scalar(scalar) if !node.is_null() => {
                let map = scalar.map.clone();
                match parse_type(&scalar.value, &|start, end| map.source_span(start, end)) {
                    Ok(ty) => ty,
                    Err(error) => {
                        let span = scalar
                            .map
                            .source_span(error.start, error.end.max(error.start));
                        let diagnostic = Diagnostic::new(&rules::invalid_type::RULE, self.file, span, format!("invalid type for {context}"))
                            .with_label(error.message)
                            .with_help("a type is a built-in (`string`, `int`, …), `list<T>`, `map<T>`, `enum(a, b)`, `T?`, a named type or a mapping");
                        self.report(diagnostic);
                        Type::Error
                    }
                }
            }
            NodeKind::Mapping(entries) => Type::Object(self.object_fields(entries, context)),
            // `[T]` unquoted is a YAML list of one type: read it as `list<T>`.
            NodeKind::Sequence(items) if items.len() == 1 => {
                Type::List(Box::new(self.type_of(&items[0], context)))
            }
            _ => {
                self.wrong_type(node, "a type", context);
                Type::Error
            }
        }
    }

    /// Reads a mapping of field name → field declaration.
    fn object_fields(&mut self, entries: &[Entry], context: &str) -> ObjectType {
        let mut fields = Vec::with_capacity(entries.len());
        for entry in entries {
            let Some(raw_name) = entry.key.as_str() else {
                self.wrong_type(&entry.key, "a field name", context);
                continue;
            };
            let (name, marked_optional) = match raw_name.strip_suffix('?') {
                Some(name) => (name, true),
                None => (raw_name, false),
            };
            fields.push(self.field(name, marked_optional, entry, context));
        }
        ObjectType::closed(fields)
    }

    fn field(&mut self, name: &str, marked_optional: bool, entry: &Entry, context: &str) -> Field {
        let value = &entry.value;
        let mut field = Field {
            name: name.to_string(),
            ty: Type::Error,
            optional: marked_optional,
            default: None,
            description: None,
            deprecated: None,
            file: self.file,
            span: entry.key.span,
        };
        let field_context = format!("field `{name}` of {context}");
        // A mapping with a `type` key is a field declaration; any other mapping is an object type.
        let declaration = value
            .as_mapping()
            .filter(|_| value.get("type").is_some_and(|ty| ty.as_scalar().is_some()));
        let Some(declaration) = declaration else {
            field.ty = self.type_of(value, &field_context);
            if field.ty.is_optional() {
                field.optional = true;
            }
            return field;
        };
        self.check_keys(
            declaration,
            &[&[
                "type",
                "description",
                "default",
                "optional",
                "fields",
                "deprecated",
            ]],
            &field_context,
        );
        let mut ty = Type::Error;
        let mut default = None;
        for item in declaration {
            match item.key.as_str() {
                Some("type") => ty = self.type_of(&item.value, &field_context),
                Some("description") => {
                    field.description = self
                        .string(&item.value, "a description")
                        .map(|text| text.value)
                }
                Some("default") => default = Some(&item.value),
                Some("optional") => {
                    field.optional |= self.bool(&item.value, "`optional`").unwrap_or(false)
                }
                Some("deprecated") => {
                    field.deprecated = match item.value.plain_value() {
                        Some(PlainValue::Bool(false)) => None,
                        Some(PlainValue::Bool(true)) => Some(String::from("deprecated")),
                        _ => self
                            .string(&item.value, "`deprecated`")
                            .map(|text| text.value),
                    }
                }
                _ => {}
            }
        }
        if let Some(fields_node) = value.get("fields") {
            let is_open_object =
                matches!(&ty, Type::Object(object) if object.open && object.fields.is_empty());
            if !is_open_object {
                let diagnostic = Diagnostic::new(
                    &rules::unknown_key::RULE,
                    self.file,
                    declaration
                        .iter()
                        .find(|item| item.key.as_str() == Some("fields"))
                        .map_or(value.span, |item| item.key.span),
                    "`fields` is only allowed with `type: object`",
                )
                .with_help("write `type: object` and list the fields under `fields:`");
                self.report(diagnostic);
            } else if let Some(entries) = self.mapping(fields_node, &field_context) {
                ty = Type::Object(self.object_fields(entries, &field_context));
            }
        }
        if ty.is_optional() {
            field.optional = true;
        }
        if let Some(default) = default {
            field.default = Some(std::sync::Arc::new(default.clone()));
            field.optional = true;
            if let Some((wrong, problem)) = literal_mismatch(default, &ty) {
                let help = if is_quoted_non_string(wrong) {
                    format!(
                        "the field is declared as `{ty}`; a quoted YAML value is a string, remove the quotes"
                    )
                } else {
                    format!("the field is declared as `{ty}`")
                };
                let diagnostic = Diagnostic::new(
                    &rules::invalid_default::RULE,
                    self.file,
                    wrong.span,
                    format!("default of `{name}` does not match its type"),
                )
                .with_label(problem)
                .with_help(help);
                self.report(diagnostic);
            }
        }
        field.ty = ty;
        field
    }

    fn type_declarations(&mut self, node: &Node) -> Vec<TypeDeclaration> {
        let Some(entries) = self.mapping(node, "`types`") else {
            return Vec::new();
        };
        let mut declarations = Vec::new();
        for entry in entries {
            let Some(name) = self.string(&entry.key, "a type name") else {
                continue;
            };
            if crate::types::BUILTIN_TYPE_NAMES.contains(&name.value.as_str()) {
                let diagnostic = Diagnostic::new(
                    &rules::invalid_type::RULE,
                    self.file,
                    name.span,
                    format!("`{}` is a built-in type", name.value),
                )
                .with_label("cannot be declared again")
                .with_help("choose another name for the declared type");
                self.report(diagnostic);
                continue;
            }
            let mut characters = name.value.chars();
            let valid = characters
                .next()
                .is_some_and(|first| first.is_alphabetic() || first == '_')
                && characters.all(|rest| rest.is_alphanumeric() || rest == '_' || rest == '-');
            if !valid {
                let diagnostic = Diagnostic::new(
                    &rules::invalid_type::RULE,
                    self.file,
                    name.span,
                    "invalid type name",
                )
                .with_label(
                    if name.value.starts_with(|first: char| first.is_ascii_digit()) {
                        "a type name cannot start with a digit"
                    } else {
                        "type names use letters, digits, `_` and `-`"
                    },
                )
                .with_help("a type name must be usable in type expressions like `list<Name>`");
                self.report(diagnostic);
            }
            let ty = self.type_of(&entry.value, &format!("type `{}`", name.value));
            declarations.push(TypeDeclaration {
                name,
                ty,
                file: self.file,
            });
        }
        declarations
    }

    // ----- workers ---------------------------------------------------------------------------

    fn workers(&mut self, node: &Node) -> Vec<Worker> {
        let Some(entries) = self.mapping(node, "`workers`") else {
            return Vec::new();
        };
        let mut workers = Vec::new();
        for entry in entries {
            let Some(name) = self.string(&entry.key, "a worker name") else {
                continue;
            };
            let context = format!("worker `{}`", name.value);
            let Some(keys) = self.mapping(&entry.value, &context) else {
                continue;
            };
            self.check_keys(keys, &[WORKER_KEYS], &context);
            let mut worker = Worker {
                name,
                file: self.file,
                description: None,
                input: ObjectType::default(),
                output: ObjectType::default(),
                settings: WorkerSettings::default(),
                span: entry.key.span.cover(entry.value.span),
            };
            for item in keys {
                let value = &item.value;
                match item.key.as_str() {
                    Some("description") => {
                        worker.description =
                            self.string(value, "a description").map(|text| text.value)
                    }
                    Some("input") => {
                        worker.input =
                            self.contract_object(value, &format!("the input of {context}"))
                    }
                    Some("output") => {
                        worker.output =
                            self.contract_object(value, &format!("the output of {context}"))
                    }
                    Some("retry") => self.retry(value, &mut worker.settings, &context),
                    Some("timeout") => {
                        worker.settings.timeout_ms = self.duration(value, "`timeout`")
                    }
                    Some("total_timeout") => {
                        worker.settings.total_timeout_ms = self.duration(value, "`total_timeout`")
                    }
                    Some("response_timeout") => {
                        worker.settings.response_timeout_ms =
                            self.duration(value, "`response_timeout`")
                    }
                    Some("poll_timeout") => {
                        worker.settings.poll_timeout_ms = self.duration(value, "`poll_timeout`")
                    }
                    Some("timeout_policy") => {
                        worker.settings.timeout_policy = self.timeout_policy(value, true)
                    }
                    Some("rate_limit") => {
                        if let Some(limit) = self.mapping(value, "`rate_limit`") {
                            self.check_keys(limit, &[&["count", "per"]], "`rate_limit`");
                            for limit_item in limit {
                                match limit_item.key.as_str() {
                                    Some("count") => {
                                        worker.settings.rate_limit_count =
                                            self.int(&limit_item.value, "`rate_limit.count`")
                                    }
                                    Some("per") => {
                                        worker.settings.rate_limit_per_ms =
                                            self.duration(&limit_item.value, "`rate_limit.per`")
                                    }
                                    _ => {}
                                }
                            }
                            if worker.settings.rate_limit_count.is_none() {
                                self.missing(value.span, "count", "`rate_limit`", "give the number of tasks allowed per window, e.g. `{count: 100, per: 1m}`");
                            }
                        }
                    }
                    Some("concurrency") => {
                        worker.settings.concurrency = self.int(value, "`concurrency`")
                    }
                    Some("owner") => worker.settings.owner = self.string(value, "`owner`"),
                    Some("raw") if self.mapping(value, "`raw`").is_some() => {
                        worker.settings.raw = Some(value.clone());
                    }
                    _ => {}
                }
            }
            workers.push(worker);
        }
        workers
    }

    fn contract_object(&mut self, node: &Node, context: &str) -> ObjectType {
        match &node.kind {
            NodeKind::Mapping(entries) => self.object_fields(entries, context),
            _ if node.is_null() => ObjectType::default(),
            _ => match self.type_of(node, context) {
                Type::Object(object) => object,
                Type::Any | Type::Error => ObjectType {
                    fields: Vec::new(),
                    open: true,
                },
                other => {
                    let diagnostic = Diagnostic::new(
                        &rules::wrong_value_type::RULE,
                        self.file,
                        node.span,
                        format!("{context} must be a mapping of fields"),
                    )
                    .with_label(format!("found `{other}`"))
                    .with_help(if matches!(other, Type::Unresolved(..)) {
                        "a named type cannot stand for a whole contract input or output: list the fields, or write `any`"
                    } else {
                        "declare the fields as a mapping, or write `any`"
                    });
                    self.report(diagnostic);
                    ObjectType {
                        fields: Vec::new(),
                        open: true,
                    }
                }
            },
        }
    }

    fn retry(&mut self, node: &Node, settings: &mut WorkerSettings, context: &str) {
        if let Some(PlainValue::Int(_)) = node.plain_value() {
            settings.retry_count = self.int(node, "`retry`");
            return;
        }
        if node.as_scalar().is_some() && !node.is_null() {
            self.wrong_type(
                node,
                "a retry count or a mapping",
                &format!("`retry` of {context}"),
            );
            return;
        }
        let Some(entries) = self.mapping(node, &format!("`retry` of {context}")) else {
            return;
        };
        self.check_keys(
            entries,
            &[&[
                "count",
                "logic",
                "delay",
                "max_delay",
                "backoff_scale",
                "jitter",
            ]],
            "`retry`",
        );
        for entry in entries {
            let value = &entry.value;
            match entry.key.as_str() {
                Some("count") => settings.retry_count = self.int(value, "`retry.count`"),
                Some("logic") => {
                    settings.retry_logic = match value.as_str() {
                        Some("fixed" | "FIXED") => Some(RetryLogic::Fixed),
                        Some("linear" | "LINEAR_BACKOFF") => Some(RetryLogic::Linear),
                        Some("exponential" | "EXPONENTIAL_BACKOFF") => {
                            Some(RetryLogic::Exponential)
                        }
                        _ => {
                            self.bad_enum(
                                value,
                                "`retry.logic`",
                                &["fixed", "linear", "exponential"],
                            );
                            None
                        }
                    }
                }
                Some("delay") => settings.retry_delay_ms = self.duration(value, "`retry.delay`"),
                Some("max_delay") => {
                    settings.max_retry_delay_ms = self.duration(value, "`retry.max_delay`")
                }
                Some("backoff_scale") => {
                    settings.backoff_scale = self.int(value, "`retry.backoff_scale`")
                }
                Some("jitter") => settings.jitter_ms = self.duration(value, "`retry.jitter`"),
                _ => {}
            }
        }
    }

    fn bad_enum(&mut self, node: &Node, context: &str, allowed: &[&str]) {
        let found = node.as_str().unwrap_or_default();
        let mut diagnostic = Diagnostic::new(
            &rules::wrong_value_type::RULE,
            self.file,
            node.span,
            format!("invalid value for {context}"),
        )
        .with_label(format!("expected one of {}", suggest::quoted_list(allowed)));
        if let Some(candidate) = suggest::closest(found, allowed.iter().copied()) {
            diagnostic = diagnostic
                .with_help(format!("did you mean `{candidate}`?"))
                .with_replacement(format!("use `{candidate}`"), candidate);
        }
        self.report(diagnostic);
    }

    fn timeout_policy(&mut self, node: &Node, allow_retry: bool) -> Option<TimeoutPolicy> {
        match node.as_str() {
            Some("retry" | "RETRY") if allow_retry => Some(TimeoutPolicy::Retry),
            Some("time_out_workflow" | "TIME_OUT_WF") => Some(TimeoutPolicy::TimeOutWorkflow),
            Some("alert_only" | "ALERT_ONLY") => Some(TimeoutPolicy::AlertOnly),
            _ => {
                let allowed: &[&str] = if allow_retry {
                    &["retry", "time_out_workflow", "alert_only"]
                } else {
                    &["time_out_workflow", "alert_only"]
                };
                self.bad_enum(node, "`timeout_policy`", allowed);
                None
            }
        }
    }

    // ----- files -----------------------------------------------------------------------------

    fn contract_file(&mut self, root: &Node, entries: &[Entry]) -> ContractFile {
        self.check_keys(entries, &[CONTRACT_FILE_KEYS], "a contract file");
        let mut contracts = ContractFile {
            file: self.file,
            ..ContractFile::default()
        };
        for entry in entries {
            match entry.key.as_str() {
                Some("types") => contracts.types = self.type_declarations(&entry.value),
                Some("workers") => contracts.workers = self.workers(&entry.value),
                Some("description") => {
                    self.string(&entry.value, "a description");
                }
                _ => {}
            }
        }
        if contracts.types.is_empty()
            && contracts.workers.is_empty()
            && root.get("workers").is_none()
            && root.get("types").is_none()
        {
            self.missing(
                Span::empty_at(root.span.start as usize),
                "workers",
                "a contract file",
                "declare worker contracts under `workers:`",
            );
        }
        contracts
    }

    fn workflow(&mut self, root: &Node, entries: &[Entry], text_len: usize) -> Workflow {
        self.check_keys(entries, &[WORKFLOW_KEYS], "a workflow");
        let mut workflow = Workflow {
            file: self.file,
            name: None,
            version: None,
            description: None,
            owner: None,
            timeout_ms: None,
            timeout_policy: None,
            on_failure: None,
            restartable: None,
            status_listener: None,
            imports: Vec::new(),
            types: Vec::new(),
            inputs: ObjectType::default(),
            outputs: Vec::new(),
            variables: Vec::new(),
            workers: Vec::new(),
            tasks: Vec::new(),
            roots: Vec::new(),
            tasks_span: Span::empty_at(0),
            raw: None,
            span: Span::new(0, text_len),
        };
        // A misspelled required key (`ownr:`) is reported as an unknown key with a did-you-mean;
        // reading it as the key it stands for avoids a second "missing" diagnostic and keeps
        // checking what it holds (the tasks, most importantly).
        let mut stands_for: Vec<Option<&str>> = vec![None; entries.len()];
        for required in ["workflow", "owner", "tasks"] {
            if root.get(required).is_some() {
                continue;
            }
            let misspelled = entries.iter().position(|entry| {
                entry.key.as_str().is_some_and(|key| {
                    !WORKFLOW_KEYS.contains(&key)
                        && suggest::closest(key, WORKFLOW_KEYS.iter().copied()) == Some(required)
                })
            });
            if let Some(index) = misspelled {
                stands_for[index] = Some(required);
            }
        }
        let mut tasks_node = None;
        for (index, entry) in entries.iter().enumerate() {
            let value = &entry.value;
            match stands_for[index].or(entry.key.as_str()) {
                Some("workflow") => workflow.name = self.string(value, "`workflow`"),
                Some("version") => workflow.version = self.int(value, "`version`"),
                Some("description") => {
                    workflow.description =
                        self.string(value, "`description`").map(|text| text.value)
                }
                Some("owner") => workflow.owner = self.string(value, "`owner`"),
                Some("timeout") => workflow.timeout_ms = self.duration(value, "`timeout`"),
                Some("timeout_policy") => {
                    workflow.timeout_policy = self.timeout_policy(value, false)
                }
                Some("on_failure") => workflow.on_failure = self.string(value, "`on_failure`"),
                Some("restartable") => workflow.restartable = self.bool(value, "`restartable`"),
                Some("status_listener") => {
                    if matches!(
                        value.plain_value(),
                        Some(PlainValue::Bool(_) | PlainValue::String)
                    ) {
                        workflow.status_listener = Some(value.clone());
                    } else {
                        self.wrong_type(
                            value,
                            "`true`, `false` or a sink name",
                            "`status_listener`",
                        );
                    }
                }
                Some("imports") => workflow.imports = self.ref_list(value, "an import path"),
                Some("types") => workflow.types = self.type_declarations(value),
                Some("inputs") => {
                    if let Some(fields) = self.mapping(value, "`inputs`") {
                        workflow.inputs = self.object_fields(fields, "`inputs`");
                    }
                }
                Some("outputs") => workflow.outputs = self.outputs(value),
                Some("variables") => {
                    if let Some(variables) = self.mapping(value, "`variables`") {
                        for variable in variables {
                            if let Some(name) = self.string(&variable.key, "a variable name") {
                                workflow.variables.push((name, variable.value.clone()));
                            }
                        }
                    }
                }
                Some("workers") => workflow.workers = self.workers(value),
                Some("tasks") => {
                    workflow.tasks_span = entry.key.span;
                    tasks_node = Some(value);
                }
                Some("raw") if self.mapping(value, "`raw`").is_some() => {
                    workflow.raw = Some(value.clone());
                }
                _ => {}
            }
        }
        let start = Span::empty_at(root.span.start as usize);
        if workflow.name.is_none()
            && !stands_for.contains(&Some("workflow"))
            && root.get("workflow").is_none()
        {
            self.missing(
                start,
                "workflow",
                "a workflow",
                "name the workflow: `workflow: my_workflow`",
            );
        }
        match tasks_node {
            Some(node) => {
                workflow.roots = self.task_list(node, Container::Root, "`tasks`");
                // A `tasks:` that is not a mapping was reported as such.
                if workflow.roots.is_empty() && (node.is_null() || node.as_mapping().is_some()) {
                    let diagnostic = Diagnostic::new(
                        &rules::empty_tasks::RULE,
                        self.file,
                        workflow.tasks_span,
                        "the workflow has no tasks",
                    )
                    .with_label("no tasks")
                    .with_help("Conductor rejects it: \"WorkflowTask list cannot be empty\"");
                    self.report(diagnostic);
                }
            }
            None => self.missing(
                start,
                "tasks",
                "a workflow",
                "list the tasks under `tasks:`, keyed by reference name",
            ),
        }
        workflow.tasks = std::mem::take(&mut self.tasks);
        workflow
    }

    fn outputs(&mut self, node: &Node) -> Vec<OutputDeclaration> {
        let Some(entries) = self.mapping(node, "`outputs`") else {
            return Vec::new();
        };
        let mut outputs = Vec::new();
        for entry in entries {
            let Some(name) = self.string(&entry.key, "an output name") else {
                continue;
            };
            let context = format!("output `{}`", name.value);
            let mut declaration = OutputDeclaration {
                name,
                ty: None,
                value: None,
                description: None,
            };
            match &entry.value.kind {
                NodeKind::Mapping(items)
                    if entry.value.get("value").is_some() || entry.value.get("type").is_some() =>
                {
                    self.check_keys(items, &[&["type", "value", "description"]], &context);
                    for item in items {
                        match item.key.as_str() {
                            Some("type") => {
                                declaration.ty = Some(self.type_of(&item.value, &context))
                            }
                            Some("value") => declaration.value = Some(item.value.clone()),
                            Some("description") => {
                                declaration.description = self
                                    .string(&item.value, "a description")
                                    .map(|text| text.value)
                            }
                            _ => {}
                        }
                    }
                    if declaration.value.is_none() {
                        self.missing(
                            entry.key.span,
                            "value",
                            &context,
                            "give the value, e.g. `value: ${task.output.field}`",
                        );
                    }
                }
                _ => declaration.value = Some(entry.value.clone()),
            }
            outputs.push(declaration);
        }
        outputs
    }

    // ----- tasks -----------------------------------------------------------------------------

    fn task_list(&mut self, node: &Node, container: Container, context: &str) -> Vec<TaskId> {
        let Some(entries) = self.mapping(node, context) else {
            return Vec::new();
        };
        if self.threads > 1 && entries.len() >= PARALLEL_TASKS_MIN {
            return self.task_entries_in_parallel(entries, container);
        }
        self.task_entries(entries, container)
    }

    /// Lowers the tasks of a task list.
    fn task_entries(&mut self, entries: &[Entry], container: Container) -> Vec<TaskId> {
        let mut ids = Vec::with_capacity(entries.len());
        // At least one task per entry: growing the (large) tasks one doubling at a time would
        // copy them over and over in a workflow of thousands.
        self.tasks.reserve(entries.len());
        for entry in entries {
            let Some(name) = self.string(&entry.key, "a task reference name") else {
                continue;
            };
            ids.push(self.task(
                name,
                &entry.value,
                container,
                entry.key.span.cover(entry.value.span),
            ));
        }
        ids
    }

    /// [`Lowerer::task_entries`] on up to `self.threads` threads: each lowers a run of entries
    /// with its own lowerer, numbering its tasks from 0; the runs are then appended in order and
    /// renumbered, so tasks, ids and diagnostics come out exactly as from one thread (lowering a
    /// task reads nothing outside its own entry).
    fn task_entries_in_parallel(&mut self, entries: &[Entry], container: Container) -> Vec<TaskId> {
        let run_length = entries.len().div_ceil(self.threads);
        let file = self.file;
        let lower_run = |run: &[Entry]| {
            let mut lowerer = Lowerer {
                file,
                diagnostics: Vec::new(),
                tasks: Vec::with_capacity(run.len()),
                threads: 1,
            };
            let ids = lowerer.task_entries(run, container);
            (lowerer, ids)
        };
        let lowered: Vec<(Lowerer, Vec<TaskId>)> =
            crate::threads::map_scoped(entries.chunks(run_length).collect(), lower_run);
        let mut ids = Vec::with_capacity(entries.len());
        for (lowerer, run_ids) in lowered {
            let offset = self.tasks.len() as u32;
            self.tasks.reserve(lowerer.tasks.len());
            for mut task in lowerer.tasks {
                task.renumber(offset);
                self.tasks.push(task);
            }
            ids.extend(run_ids.into_iter().map(|id| TaskId(id.0 + offset)));
            self.diagnostics.extend(lowerer.diagnostics);
        }
        ids
    }

    fn task(
        &mut self,
        name: Spanned<String>,
        node: &Node,
        container: Container,
        span: Span,
    ) -> TaskId {
        let id = TaskId(self.tasks.len() as u32);
        let context = format!("task `{}`", name.value);
        self.tasks.push(Task {
            id,
            name,
            container,
            kind: TaskKind::Invalid,
            kind_span: span,
            input: None,
            after: Vec::new(),
            description: None,
            optional: None,
            permissive: None,
            start_delay_ms: None,
            retries: None,
            async_complete: None,
            estimate_ms: None,
            compensate: None,
            output: None,
            output_span: None,
            raw: None,
            span,
        });
        let patched;
        let node = match self.misspelled_kind(node, &context) {
            Some(renamed) => {
                patched = renamed;
                &patched
            }
            None => node,
        };
        let Some(entries) = self.mapping(node, &context) else {
            return id;
        };

        // Decide the kind.
        let present: Vec<&Entry> = entries
            .iter()
            .filter(|entry| {
                entry
                    .key
                    .as_str()
                    .is_some_and(|key| KIND_KEYS.contains(&key))
            })
            .collect();
        let kind_entry: Option<&Entry> = if let Some(for_each) = present
            .iter()
            .find(|entry| entry.key.as_str() == Some("for_each"))
        {
            let others: Vec<&&Entry> = present
                .iter()
                .filter(|entry| {
                    !matches!(
                        entry.key.as_str(),
                        Some("for_each" | "worker" | "sub_workflow")
                    )
                })
                .collect();
            self.report_extra_kinds(&context, for_each, &others);
            Some(for_each)
        } else if let Some(first) = present.first() {
            let others: Vec<&&Entry> = present.iter().skip(1).collect();
            self.report_extra_kinds(&context, first, &others);
            Some(first)
        } else {
            None
        };
        let kind_name = match kind_entry {
            Some(entry) => entry.key.as_str().unwrap_or_default(),
            None if node.get("raw").is_some() => "raw",
            None => {
                let mut diagnostic = Diagnostic::new(
                    &rules::unknown_task_kind::RULE,
                    self.file,
                    self.tasks[id.0 as usize].name.span,
                    format!("{context} has no kind"),
                )
                .with_label("no kind key");
                let unknown_keys: Vec<&str> = entries
                    .iter()
                    .filter_map(|entry| entry.key.as_str())
                    .filter(|key| !COMMON_TASK_KEYS.contains(key))
                    .collect();
                let suggestion = unknown_keys
                    .iter()
                    .find_map(|key| suggest::closest(key, KIND_KEYS.iter().copied()));
                diagnostic = match (suggestion, node.get("type")) {
                    (Some(candidate), _) => diagnostic.with_help(format!("did you mean `{candidate}`?")),
                    (None, Some(_)) => diagnostic.with_help("`type:` is Conductor JSON; write the task with a kind key (`worker: NAME`, `http: URL`, …) or wrap it in `raw:`"),
                    (None, None) => diagnostic.with_help(format!("add one of: {}", KIND_KEYS.join(", "))),
                };
                self.report(diagnostic);
                // Still read the common keys so that references inside are checked. Without a
                // kind, other keys cannot be judged: the missing kind is the one diagnostic.
                self.common_task_keys(id, entries, "", &context);
                return id;
            }
        };
        let kind_key = kind_entry.or_else(|| {
            entries
                .iter()
                .find(|entry| entry.key.as_str() == Some("raw"))
        });
        if let Some(entry) = kind_key {
            self.tasks[id.0 as usize].kind_span = entry.key.span;
        }
        let mut allowed: Vec<&str> = COMMON_TASK_KEYS
            .iter()
            .copied()
            .filter(|key| *key != "output" || kind_accepts_output(kind_name))
            .collect();
        allowed.push(kind_name);
        allowed.extend(kind_extra_keys(kind_name));
        for entry in entries {
            if entry.key.as_str() == Some("input") && kind_name == "for_each" {
                let diagnostic = Diagnostic::new(
                    &rules::unknown_key::RULE,
                    self.file,
                    entry.key.span,
                    "`input` is not allowed on a `for_each` task",
                )
                .with_label("each item is the whole input of its run")
                .with_help("to give every run the same extra values, build the items first (e.g. with a `jq` task)");
                self.report(diagnostic);
            }
            if entry.key.as_str() == Some("output") && !kind_accepts_output(kind_name) {
                let help = match kind_name {
                    "worker" => "the output of a worker is declared by its contract (`workers:`)",
                    "http" | "inline" | "jq" => "declare the result type with `returns:`",
                    _ => "the output of this kind of task is known to wfc",
                };
                let diagnostic = Diagnostic::new(
                    &rules::unknown_key::RULE,
                    self.file,
                    entry.key.span,
                    format!("`output` is not allowed on a `{kind_name}` task"),
                )
                .with_help(help);
                self.report(diagnostic);
            }
        }
        let other_kind_keys: Vec<&str> = KIND_KEYS
            .iter()
            .copied()
            .filter(|key| !allowed.contains(key))
            .collect();
        let entries_without_output = entries.iter().filter(|entry| {
            (entry.key.as_str() != Some("output") || kind_accepts_output(kind_name))
                && !entry
                    .key
                    .as_str()
                    .is_some_and(|key| other_kind_keys.contains(&key))
        });
        self.check_keys(entries_without_output, &[&allowed], &context);
        self.common_task_keys(id, entries, kind_name, &context);
        let kind = self.task_kind(id, kind_name, node, &context);
        self.tasks[id.0 as usize].kind = kind;
        id
    }

    /// A task without a kind key whose unknown key is a misspelled kind key (`wroker:`): reports
    /// the key and returns the task with the key renamed, so that it is checked as intended.
    fn misspelled_kind(&mut self, node: &Node, context: &str) -> Option<Node> {
        let entries = node.as_mapping()?;
        let has_kind = entries.iter().any(|entry| {
            entry
                .key
                .as_str()
                .is_some_and(|key| KIND_KEYS.contains(&key) || key == "raw")
        });
        if has_kind {
            return None;
        }
        let (index, candidate) = entries.iter().enumerate().find_map(|(index, entry)| {
            let key = entry.key.as_str()?;
            if COMMON_TASK_KEYS.contains(&key) {
                return None;
            }
            suggest::closest(key, KIND_KEYS.iter().copied()).map(|candidate| (index, candidate))
        })?;
        let key = &entries[index].key;
        let diagnostic = Diagnostic::new(
            &rules::unknown_key::RULE,
            self.file,
            key.span,
            format!(
                "unknown key `{}` in {context}",
                key.as_str().unwrap_or_default()
            ),
        )
        .with_label(format!("did you mean `{candidate}`?"))
        .with_replacement(format!("rename to `{candidate}`"), candidate);
        self.report(diagnostic);
        let mut renamed = node.clone();
        if let NodeKind::Mapping(entries) = &mut renamed.kind
            && let NodeKind::Scalar(scalar) = &mut entries[index].key.kind
        {
            scalar.value = candidate.to_string();
        }
        Some(renamed)
    }

    fn report_extra_kinds(&mut self, context: &str, chosen: &Entry, others: &[&&Entry]) {
        for other in others {
            let diagnostic = Diagnostic::new(
                &rules::unknown_task_kind::RULE,
                self.file,
                other.key.span,
                format!("{context} has several kinds"),
            )
            .with_label(format!(
                "`{}` conflicts with `{}`",
                other.key.as_str().unwrap_or_default(),
                chosen.key.as_str().unwrap_or_default()
            ))
            .with_secondary(self.file, chosen.key.span, "the kind is decided here")
            .with_help("a task has exactly one kind key; split it into two tasks");
            self.report(diagnostic);
        }
    }

    fn common_task_keys(&mut self, id: TaskId, entries: &[Entry], kind_name: &str, context: &str) {
        for entry in entries {
            let value = &entry.value;
            let index = id.0 as usize;
            match entry.key.as_str() {
                Some("description") => {
                    self.tasks[index].description =
                        self.string(value, "`description`").map(|text| text.value)
                }
                Some("input")
                    if self
                        .mapping(value, &format!("the input of {context}"))
                        .is_some() =>
                {
                    self.tasks[index].input = Some(value.clone());
                }
                Some("after") => self.tasks[index].after = self.ref_list(value, "`after`"),
                Some("optional") => {
                    self.tasks[index].optional = self
                        .bool(value, "`optional`")
                        .map(|flag| Spanned::new(flag, value.span))
                }
                Some("permissive") => {
                    self.tasks[index].permissive = self.bool(value, "`permissive`")
                }
                Some("start_delay") => {
                    self.tasks[index].start_delay_ms = self.duration(value, "`start_delay`")
                }
                Some("retries") => self.tasks[index].retries = self.int(value, "`retries`"),
                Some("async_complete") => {
                    self.tasks[index].async_complete = self.bool(value, "`async_complete`")
                }
                Some("estimate") => {
                    self.tasks[index].estimate_ms = self
                        .duration(value, "`estimate`")
                        .map(|duration| duration.value)
                }
                Some("output") if kind_accepts_output(kind_name) => {
                    let ty = self.type_of(value, &format!("the output of {context}"));
                    self.tasks[index].output = Some(ty);
                    self.tasks[index].output_span = Some(entry.key.span);
                }
                Some("raw")
                    if !kind_name.is_empty()
                        && kind_name != "raw"
                        && self.mapping(value, "`raw`").is_some() =>
                {
                    self.tasks[index].raw = Some(value.clone());
                }
                Some("compensate") => {
                    let name = format!("{}_compensation", self.tasks[index].name.value);
                    let compensation = self.task(
                        Spanned::new(name, entry.key.span),
                        value,
                        Container::Task {
                            task: id,
                            slot: COMPENSATION_SLOT,
                        },
                        entry.key.span.cover(value.span),
                    );
                    self.tasks[id.0 as usize].compensate = Some(compensation);
                }
                _ => {}
            }
        }
    }

    fn workflow_target(
        &mut self,
        node: &Node,
        kind_key: &str,
        context: &str,
    ) -> Option<WorkflowTarget> {
        let name = self.string(node.get(kind_key)?, &format!("`{kind_key}`"))?;
        let version = node
            .get("version")
            .and_then(|version| self.int(version, "`version`"));
        if let Some(version) = version.as_ref().filter(|version| version.value < 1) {
            let diagnostic = Diagnostic::new(
                &rules::value_out_of_range::RULE,
                self.file,
                version.span,
                "`version` must be at least 1",
            )
            .with_label(format!("{} is too small", version.value));
            self.report(diagnostic);
        }
        let external = node
            .get("external")
            .and_then(|external| self.bool(external, "`external`"))
            .unwrap_or(false);
        if external && version.is_none() {
            let span = node
                .get("external")
                .map_or(name.span, |external| external.span);
            self.missing(span, "version", context, "an external workflow needs a literal `version:` (Conductor resolves a missing version when the parent starts)");
        }
        Some(WorkflowTarget {
            name,
            version,
            external,
        })
    }

    fn task_kind(&mut self, id: TaskId, kind_name: &str, node: &Node, context: &str) -> TaskKind {
        let Some(value) = node.get(kind_name) else {
            return TaskKind::Invalid;
        };
        let container_of = |slot: u32| Container::Task { task: id, slot };
        match kind_name {
            "worker" => self
                .string(value, "`worker`")
                .map_or(TaskKind::Invalid, |name| TaskKind::Worker { name }),
            "http" => {
                let returns = node
                    .get("returns")
                    .map(|returns| self.type_of(returns, &format!("`returns` of {context}")));
                match &value.kind {
                    NodeKind::Mapping(entries) => {
                        self.check_keys(
                            entries,
                            &[&[
                                "url",
                                "uri",
                                "method",
                                "headers",
                                "body",
                                "accept",
                                "content_type",
                                "connect_timeout",
                                "read_timeout",
                            ]],
                            "`http`",
                        );
                        if value.get("url").is_none() && value.get("uri").is_none() {
                            self.missing(
                                self.tasks[id.0 as usize].kind_span,
                                "url",
                                "`http`",
                                "give the endpoint: `url: https://…`",
                            );
                        }
                        for key in ["connect_timeout", "read_timeout"] {
                            if let Some(timeout) = value.get(key) {
                                self.duration(timeout, &format!("`http.{key}`"));
                            }
                        }
                        if let Some(method) = value.get("method").and_then(|method| method.as_str())
                        {
                            const METHODS: &[&str] = &[
                                "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE",
                            ];
                            if !METHODS.contains(&method)
                                && !method.contains("${")
                                && let Some(method_node) = value.get("method")
                            {
                                self.bad_enum(method_node, "`http.method`", METHODS);
                            }
                        }
                        TaskKind::Http {
                            request: value.clone(),
                            returns,
                        }
                    }
                    NodeKind::Scalar(_) if !value.is_null() => TaskKind::Http {
                        request: value.clone(),
                        returns,
                    },
                    _ => {
                        self.wrong_type(value, "a URL or a request mapping", "`http`");
                        TaskKind::Invalid
                    }
                }
            }
            "switch" => {
                let selector = match &value.kind {
                    NodeKind::Mapping(entries) => {
                        self.check_keys(entries, &[&["javascript"]], "`switch`");
                        match value.get("javascript") {
                            Some(script) if script.as_scalar().is_some() && !script.is_null() => {
                                SwitchSelector::JavaScript(script.clone())
                            }
                            Some(script) => {
                                self.wrong_type(script, "a script", "`switch.javascript`");
                                SwitchSelector::JavaScript(script.clone())
                            }
                            None => {
                                self.missing(value.span, "javascript", "`switch`", "write `switch: ${expr}` to switch on a value, or `switch: {javascript: SCRIPT}`");
                                SwitchSelector::Value(value.clone())
                            }
                        }
                    }
                    NodeKind::Scalar(_) if !value.is_null() => SwitchSelector::Value(value.clone()),
                    _ => {
                        self.wrong_type(value, "an expression or `{javascript: …}`", "`switch`");
                        SwitchSelector::Value(value.clone())
                    }
                };
                let mut cases = Vec::new();
                match node.get("cases") {
                    Some(cases_node) => {
                        if let Some(entries) = self.mapping(cases_node, "`cases`") {
                            if entries.is_empty() {
                                let key_span = node
                                    .as_mapping()
                                    .and_then(|keys| {
                                        keys.iter().find(|key| key.key.as_str() == Some("cases"))
                                    })
                                    .map_or(cases_node.span, |key| key.key.span);
                                let diagnostic = Diagnostic::new(
                                    &rules::empty_tasks::RULE,
                                    self.file,
                                    key_span,
                                    "a switch needs at least one case",
                                )
                                .with_label("no cases")
                                .with_help(
                                    "Conductor: \"decisionCases should have atleast one task\"",
                                );
                                self.report(diagnostic);
                            }
                            for (index, entry) in entries.iter().enumerate() {
                                let Some(case_value) = self.string(&entry.key, "a case value")
                                else {
                                    continue;
                                };
                                let tasks = self.task_list(
                                    &entry.value,
                                    container_of(index as u32),
                                    &format!("case `{}`", case_value.value),
                                );
                                cases.push(SwitchCase {
                                    value: case_value,
                                    tasks,
                                });
                            }
                        }
                    }
                    None => self.missing(
                        self.tasks[id.0 as usize].kind_span,
                        "cases",
                        context,
                        "list the branches under `cases:`, keyed by the value that selects them",
                    ),
                }
                let default_entry = node.as_mapping().and_then(|entries| {
                    entries
                        .iter()
                        .find(|entry| entry.key.as_str() == Some("default"))
                });
                let default = default_entry.map(|entry| {
                    self.task_list(&entry.value, container_of(cases.len() as u32), "`default`")
                });
                TaskKind::Switch {
                    selector,
                    cases,
                    default,
                    default_span: default_entry.map(|entry| entry.key.span),
                }
            }
            "parallel" => {
                let Some(branches) = value.as_sequence() else {
                    self.wrong_type(value, "a list of branches", "`parallel`");
                    return TaskKind::Invalid;
                };
                if branches.is_empty() {
                    let diagnostic = Diagnostic::new(
                        &rules::empty_tasks::RULE,
                        self.file,
                        value.span,
                        "a parallel task needs at least one branch",
                    )
                    .with_label("no branches")
                    .with_help("Conductor: \"forkTasks should have atleast one task\"");
                    self.report(diagnostic);
                }
                let branches = branches
                    .iter()
                    .enumerate()
                    .map(|(index, branch)| {
                        let tasks =
                            self.task_list(branch, container_of(index as u32), "a parallel branch");
                        if tasks.is_empty() && (branch.is_null() || branch.as_mapping().is_some()) {
                            let diagnostic = Diagnostic::new(
                                &rules::empty_tasks::RULE,
                                self.file,
                                branch.span,
                                "a parallel branch is empty",
                            )
                            .with_label(format!("branch {} has no tasks", index + 1))
                            .with_help("remove the empty branch");
                            self.report(diagnostic);
                        }
                        tasks
                    })
                    .collect();
                TaskKind::Parallel { branches }
            }
            "for_each" => {
                let target = match (node.get("worker"), node.get("sub_workflow")) {
                    (Some(worker), None) => {
                        self.string(worker, "`worker`").map(ForEachTarget::Worker)
                    }
                    (None, Some(_)) => self
                        .workflow_target(node, "sub_workflow", context)
                        .map(ForEachTarget::SubWorkflow),
                    (Some(worker), Some(sub_workflow)) => {
                        let span = node
                            .as_mapping()
                            .and_then(|entries| {
                                entries
                                    .iter()
                                    .find(|entry| entry.key.as_str() == Some("sub_workflow"))
                            })
                            .map_or(sub_workflow.span, |entry| entry.key.span);
                        let diagnostic = Diagnostic::new(
                            &rules::unknown_task_kind::RULE,
                            self.file,
                            span,
                            "`for_each` runs either a worker or a sub-workflow",
                        )
                        .with_label("`worker` is given too")
                        .with_help("remove `worker:` or `sub_workflow:`");
                        self.report(diagnostic);
                        // Check the rest as the worker fan-out.
                        self.string(worker, "`worker`").map(ForEachTarget::Worker)
                    }
                    (None, None) => {
                        self.missing(
                            self.tasks[id.0 as usize].kind_span,
                            "worker",
                            context,
                            "say what runs per item: `worker: NAME` or `sub_workflow: NAME`",
                        );
                        None
                    }
                };
                match target {
                    Some(target) => TaskKind::ForEach {
                        items: value.clone(),
                        target,
                    },
                    None => TaskKind::Invalid,
                }
            }
            "loop" => {
                let mut condition = None;
                let mut items = None;
                let mut keep_last = None;
                if let Some(entries) = self.mapping(value, "`loop`") {
                    self.check_keys(entries, &[&["while", "items", "keep_last"]], "`loop`");
                    for entry in entries {
                        match entry.key.as_str() {
                            Some("while") => condition = Some(entry.value.clone()),
                            Some("items") => items = Some(entry.value.clone()),
                            Some("keep_last") => keep_last = self.int(&entry.value, "`keep_last`"),
                            _ => {}
                        }
                    }
                    if condition.is_none() && items.is_none() {
                        self.missing(self.tasks[id.0 as usize].kind_span, "while", "`loop`", "give a JavaScript condition (`while:`) and/or a list to iterate (`items:`)");
                    }
                }
                let body = match node.get("do") {
                    Some(body) => {
                        let body_tasks = self.task_list(body, container_of(0), "the loop body");
                        if body_tasks.is_empty() && (body.is_null() || body.as_mapping().is_some())
                        {
                            let key_span = node
                                .as_mapping()
                                .and_then(|keys| {
                                    keys.iter().find(|key| key.key.as_str() == Some("do"))
                                })
                                .map_or(body.span, |key| key.key.span);
                            let diagnostic = Diagnostic::new(
                                &rules::empty_tasks::RULE,
                                self.file,
                                key_span,
                                "the loop body is empty",
                            )
                            .with_label("no tasks")
                            .with_help("Conductor: \"loopOver field is required\"");
                            self.report(diagnostic);
                        }
                        body_tasks
                    }
                    None => {
                        self.missing(
                            self.tasks[id.0 as usize].kind_span,
                            "do",
                            context,
                            "list the tasks of the loop body under `do:`",
                        );
                        Vec::new()
                    }
                };
                TaskKind::Loop {
                    condition,
                    items,
                    keep_last,
                    body,
                }
            }
            "dynamic" => TaskKind::Dynamic {
                name: value.clone(),
            },
            "sub_workflow" => self
                .workflow_target(node, "sub_workflow", context)
                .map_or(TaskKind::Invalid, |target| TaskKind::SubWorkflow { target }),
            "start_workflow" => match self.workflow_target(node, "start_workflow", context) {
                Some(target) => TaskKind::StartWorkflow {
                    target,
                    correlation_id: node.get("correlation_id").cloned(),
                },
                None => TaskKind::Invalid,
            },
            "wait" => {
                let mode = match &value.kind {
                    NodeKind::Mapping(entries) => {
                        self.check_keys(entries, &[&["until", "duration"]], "`wait`");
                        match (value.get("until"), value.get("duration")) {
                            (Some(_), Some(duration)) => {
                                let diagnostic = Diagnostic::new(&rules::wrong_value_type::RULE, self.file, duration.span, "a wait has either `duration` or `until`")
                                    .with_help("Conductor rejects both: \"Both 'duration' and 'until' specified. Please provide only one input\"");
                                self.report(diagnostic);
                                WaitMode::External
                            }
                            (Some(until), None) => WaitMode::Until(until.clone()),
                            (None, Some(duration)) => self.wait_duration(duration),
                            (None, None) => WaitMode::External,
                        }
                    }
                    _ if value.is_null() => WaitMode::External,
                    _ => self.wait_duration(value),
                };
                TaskKind::Wait { mode }
            }
            "human" => TaskKind::Human {
                prompt: if value.is_null()
                    || value.as_mapping().is_some_and(|entries| entries.is_empty())
                {
                    None
                } else {
                    Some(value.clone())
                },
            },
            "inline" | "jq" => {
                if value.as_scalar().is_none() || value.is_null() {
                    self.wrong_type(
                        value,
                        if kind_name == "jq" {
                            "a jq program"
                        } else {
                            "a JavaScript program"
                        },
                        &format!("`{kind_name}`"),
                    );
                }
                let returns = node
                    .get("returns")
                    .map(|returns| self.type_of(returns, &format!("`returns` of {context}")));
                if kind_name == "jq" {
                    TaskKind::Jq {
                        query: value.clone(),
                        returns,
                    }
                } else {
                    TaskKind::Inline {
                        script: value.clone(),
                        returns,
                    }
                }
            }
            "set" => {
                let mut values = Vec::new();
                if let Some(entries) = self.mapping(value, "`set`") {
                    for entry in entries {
                        if let Some(name) = self.string(&entry.key, "a variable name") {
                            values.push((name, entry.value.clone()));
                        }
                    }
                }
                TaskKind::SetVariable { values }
            }
            "terminate" => TaskKind::Terminate {
                status: value.clone(),
                reason: node.get("reason").cloned(),
                result: node.get("result").cloned(),
            },
            "event" => {
                self.string(value, "`event`");
                TaskKind::Event {
                    sink: value.clone(),
                }
            }
            "kafka" => {
                if let Some(entries) = self.mapping(value, "`kafka`") {
                    self.check_keys(
                        entries,
                        &[&[
                            "servers",
                            "topic",
                            "value",
                            "key",
                            "headers",
                            "key_serializer",
                            "request_timeout",
                            "max_block",
                        ]],
                        "`kafka`",
                    );
                    for required in ["servers", "topic", "value"] {
                        if value.get(required).is_none() {
                            self.missing(
                                self.tasks[id.0 as usize].kind_span,
                                required,
                                "`kafka`",
                                "KAFKA_PUBLISH needs `servers`, `topic` and `value`",
                            );
                        }
                    }
                }
                TaskKind::Kafka {
                    request: value.clone(),
                }
            }
            "noop" => {
                if !matches!(
                    value.plain_value(),
                    Some(PlainValue::Bool(true) | PlainValue::Null)
                ) {
                    self.wrong_type(value, "`true`", "`noop`");
                }
                TaskKind::Noop
            }
            "join" => TaskKind::Join {
                on: self.ref_list(value, "`join`"),
            },
            "exclusive_join" => {
                let default = node
                    .get("default_join")
                    .map(|default| self.ref_list(default, "`default_join`"))
                    .unwrap_or_default();
                TaskKind::ExclusiveJoin {
                    on: self.ref_list(value, "`exclusive_join`"),
                    default,
                }
            }
            "raw" => {
                if self.mapping(value, "`raw`").is_none() {
                    return TaskKind::Invalid;
                }
                let task_type = value
                    .get("type")
                    .and_then(|ty| self.string(ty, "`raw.type`"));
                if task_type.is_none() {
                    self.missing(
                        self.tasks[id.0 as usize].kind_span,
                        "type",
                        "a raw task",
                        "give the Conductor task type, e.g. `type: LLM_CHAT_COMPLETE`",
                    );
                }
                TaskKind::Raw {
                    task_type,
                    fields: value.clone(),
                }
            }
            _ => TaskKind::Invalid,
        }
    }

    fn wait_duration(&mut self, node: &Node) -> WaitMode {
        if node.as_str().is_some_and(|text| text.contains("${")) {
            return WaitMode::DurationExpression(node.clone());
        }
        match self.duration(node, "`wait`") {
            Some(duration) => WaitMode::Duration(duration),
            None => WaitMode::External,
        }
    }
}

/// Parses `90`, `90s`, `1h30m`, `250ms`, `2d` into milliseconds.
pub fn parse_duration_ms(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(seconds) = text.parse::<u64>() {
        return seconds.checked_mul(1000);
    }
    let mut total: u64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|character: char| !character.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let number: u64 = rest[..digits].parse().ok()?;
        rest = rest[digits..].trim_start();
        let unit_length = rest
            .find(|character: char| !character.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_length] {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return None,
        };
        total = total.checked_add(number.checked_mul(factor)?)?;
        rest = rest[unit_length..].trim_start();
    }
    Some(total)
}

/// Checks a literal YAML value (no expressions resolved) against a type, for defaults.
pub fn literal_matches_type(node: &Node, ty: &Type) -> Result<(), String> {
    literal_mismatch(node, ty).map_or(Ok(()), |(_, problem)| Err(problem))
}

/// The innermost node of a literal that does not match `ty`, with what is wrong.
fn literal_mismatch<'node>(node: &'node Node, ty: &Type) -> Option<(&'node Node, String)> {
    let found = node.kind_name();
    let mismatch = || Some((node, format!("found {found}, expected `{ty}`")));
    match (ty.structure(), node.plain_value()) {
        (Type::Any | Type::Error | Type::Unresolved(..), _) => None,
        (Type::Optional(_) | Type::Null, Some(PlainValue::Null)) => None,
        (Type::Optional(inner), _) => literal_mismatch(node, inner),
        (Type::String, Some(PlainValue::String)) => None,
        (Type::Int, Some(PlainValue::Int(_))) => None,
        (Type::Number, Some(PlainValue::Int(_) | PlainValue::Float(_))) => None,
        (Type::Bool, Some(PlainValue::Bool(_))) => None,
        (Type::Enum(values), Some(_)) => {
            let text = node.as_str().unwrap_or_default();
            if values.iter().any(|value| value == text) {
                None
            } else {
                Some((
                    node,
                    format!("`{text}` is not one of {}", suggest::quoted_list(values)),
                ))
            }
        }
        (Type::List(item), None) => match node.as_sequence() {
            Some(items) => items
                .iter()
                .find_map(|element| literal_mismatch(element, item)),
            None => mismatch(),
        },
        (Type::Map(value_type), None) => match node.as_mapping() {
            Some(entries) => entries
                .iter()
                .find_map(|entry| literal_mismatch(&entry.value, value_type)),
            None => mismatch(),
        },
        (Type::Object(object), None) => match node.as_mapping() {
            Some(entries) => {
                for field in &object.fields {
                    match entries
                        .iter()
                        .find(|entry| entry.key.as_str() == Some(field.name.as_str()))
                    {
                        Some(entry) => {
                            if let Some(problem) = literal_mismatch(&entry.value, &field.ty) {
                                return Some(problem);
                            }
                        }
                        None if field.optional => {}
                        None => return Some((node, format!("missing field `{}`", field.name))),
                    }
                }
                None
            }
            None => mismatch(),
        },
        _ => mismatch(),
    }
}

/// Whether a quoted scalar would be a number or boolean without its quotes.
fn is_quoted_non_string(node: &Node) -> bool {
    node.as_scalar().is_some_and(|scalar| {
        scalar.style.is_quoted()
            && matches!(
                crate::syntax::resolve_plain(&scalar.value),
                PlainValue::Int(_) | PlainValue::Float(_) | PlainValue::Bool(_)
            )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_task_lists_lower_the_same_on_any_number_of_threads() {
        let text = crate::test_corpus::workflow(0, 2 * PARALLEL_TASKS_MIN);
        // A few mistakes, so that diagnostics from several runs are merged too.
        let text = text
            .replacen("    worker: step_1\n", "    wroker: step_1\n", 1)
            .replace(
                "    description: Step 3000 of",
                "    descripton: Step 3000 of",
            );
        let parsed = crate::syntax::parse(FileId(0), &text);
        let lower = |threads| {
            lower_file_with_threads(FileId(0), parsed.root.as_ref(), false, text.len(), threads)
        };
        let (sequential, sequential_diagnostics) = lower(1);
        let LoweredFile::Workflow(workflow) = &sequential else {
            panic!("not a workflow");
        };
        assert!(
            workflow.roots.len() >= PARALLEL_TASKS_MIN,
            "{}",
            workflow.roots.len()
        );
        assert!(
            sequential_diagnostics.len() >= 2,
            "{sequential_diagnostics:?}"
        );
        for threads in [2, 3, 7] {
            let (parallel, diagnostics) = lower(threads);
            assert!(parallel == sequential, "{threads} threads");
            assert_eq!(diagnostics, sequential_diagnostics, "{threads} threads");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("90"), Some(90_000));
        assert_eq!(parse_duration_ms("1h30m"), Some(5_400_000));
        assert_eq!(parse_duration_ms("250ms"), Some(250));
        assert_eq!(parse_duration_ms("2d"), Some(172_800_000));
        assert_eq!(parse_duration_ms("10 minutes"), None);
        assert_eq!(parse_duration_ms("m"), None);
        assert_eq!(parse_duration_ms("99999999999999999999s"), None);
    }
}
