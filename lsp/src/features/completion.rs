//! Completion: inside `${...}` the names in scope (workflow inputs, upstream tasks and their
//! typed output fields), after `worker:`/`sub_workflow:` the declared names, and elsewhere the
//! keys the context accepts.
//!
//! Where the cursor is comes from the current text alone (a `${` not yet closed on the line, the
//! indentation of the lines above), so it works while the YAML is broken; what is in scope and
//! the types come from the last analysis that parsed.

use tower_lsp_server::ls_types::*;
use wfc_compiler::check::{TASK_FIELDS, WORKFLOW_FIELDS};
use wfc_compiler::lower::{
    COMMON_TASK_KEYS, CONTRACT_FILE_KEYS, KIND_KEYS, WORKER_KEYS, WORKFLOW_KEYS, kind_extra_keys,
};
use wfc_compiler::model::{TaskKind, Workflow};
use wfc_compiler::project::is_contract_path;
use wfc_compiler::query;
use wfc_compiler::types::Type;

use super::Context;

pub fn complete(context: &Context, position: Position) -> Option<CompletionResponse> {
    let text = context.text();
    let offset = text.offset(position);
    let source = text.text;
    let line_start = source[..offset].rfind('\n').map_or(0, |index| index + 1);
    let before = &source[line_start..offset];
    let items = if let Some(typed) = open_expression(before) {
        expression_items(context, position, typed)
    } else if let Some((key, partial)) = value_position(before) {
        value_items(context, position, key, partial)
    } else {
        key_items(context, position, source, line_start, before)
    };
    Some(CompletionResponse::Array(items))
}

/// The text typed after the last `${` of the line that is not closed yet.
pub fn open_expression(before: &str) -> Option<&str> {
    let start = before.rfind("${")?;
    if before[..start].ends_with('$') {
        return None; // `$${` is an escaped literal
    }
    let typed = &before[start + 2..];
    let mut depth = 0i32;
    for character in typed.chars() {
        match character {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth < 0 {
                    return None;
                }
            }
            _ => {}
        }
    }
    Some(typed)
}

/// `key: partial` with the cursor after the colon: the key and what is typed of the value.
fn value_position(before: &str) -> Option<(&str, &str)> {
    let trimmed = before.trim_start();
    let trimmed = trimmed.strip_prefix("- ").unwrap_or(trimmed);
    let (key, value) = trimmed.split_once(':')?;
    let partial = value.trim_start();
    if !value.starts_with(' ') && !value.is_empty() {
        return None;
    }
    if key.contains(' ') || partial.contains(' ') {
        return None;
    }
    Some((key, partial))
}

/// The range of the word being typed (ending at the cursor).
fn typed_range(position: Position, typed: &str, context: &Context) -> Range {
    let text = context.text();
    let end = text.offset(position);
    let start = end - typed.len();
    Range::new(text.position(start), position)
}

fn item(
    label: &str,
    kind: CompletionItemKind,
    detail: Option<String>,
    range: Range,
) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail,
        text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(
            range,
            label.to_string(),
        ))),
        ..CompletionItem::default()
    }
}

fn expression_items(context: &Context, position: Position, typed: &str) -> Vec<CompletionItem> {
    let Some((workflow, mut checker)) = context.checker() else {
        return Vec::new();
    };
    let reader = query::task_at(workflow, context.parsed_offset(position));
    let readable = context.readable_tasks(reader);
    let (prefix, partial) = match typed.rfind('.') {
        Some(dot) => (Some(&typed[..dot]), &typed[dot + 1..]),
        None => (None, typed),
    };
    let range = typed_range(position, partial, context);
    let Some(prefix) = prefix else {
        let mut items = vec![item(
            "workflow",
            CompletionItemKind::KEYWORD,
            Some("the running workflow".to_string()),
            range,
        )];
        for task in &readable {
            let task = workflow.task(*task);
            let output = checker.task_output_type(task.id);
            let mut entry = item(
                &task.name.value,
                CompletionItemKind::VARIABLE,
                Some(format!("{} task", kind_name(&task.kind))),
                range,
            );
            entry.documentation = Some(Documentation::String(format!("output: {output}")));
            items.push(entry);
        }
        return items;
    };
    let root = prefix.split(['.', '[']).next().unwrap_or_default();
    if root != "workflow"
        && !readable
            .iter()
            .any(|task| workflow.task(*task).name.value == root)
    {
        return Vec::new();
    }
    let field_names: Option<&[&str]> = if prefix == "workflow" {
        Some(WORKFLOW_FIELDS)
    } else if prefix == root {
        Some(TASK_FIELDS)
    } else {
        None
    };
    if let Some(names) = field_names {
        return names
            .iter()
            .map(|name| {
                let ty = checker.type_of_expression(&format!("${{{prefix}.{name}}}"), reader);
                item(name, CompletionItemKind::FIELD, Some(ty.to_string()), range)
            })
            .collect();
    }
    let ty = checker.type_of_expression(&format!("${{{prefix}}}"), reader);
    let Some(object) = query::fields_of(&ty) else {
        return Vec::new();
    };
    object
        .fields
        .iter()
        .map(|field| {
            let ty = if field.optional && !field.has_default() {
                field.ty.clone().optional()
            } else {
                field.ty.clone()
            };
            let mut entry = item(
                &field.name,
                CompletionItemKind::FIELD,
                Some(ty.to_string()),
                range,
            );
            entry.documentation = field.description.clone().map(Documentation::String);
            if field.deprecated.is_some() {
                entry.tags = Some(vec![CompletionItemTag::DEPRECATED]);
            }
            entry
        })
        .collect()
}

/// The key of a task's kind as an author writes it.
pub fn kind_name(kind: &TaskKind) -> &'static str {
    match kind {
        TaskKind::Worker { .. } => "worker",
        TaskKind::Http { .. } => "http",
        TaskKind::Switch { .. } => "switch",
        TaskKind::Parallel { .. } => "parallel",
        TaskKind::ForEach { .. } => "for_each",
        TaskKind::Loop { .. } => "loop",
        TaskKind::Dynamic { .. } => "dynamic",
        TaskKind::SubWorkflow { .. } => "sub_workflow",
        TaskKind::StartWorkflow { .. } => "start_workflow",
        TaskKind::Wait { .. } => "wait",
        TaskKind::Human { .. } => "human",
        TaskKind::Inline { .. } => "inline",
        TaskKind::Jq { .. } => "jq",
        TaskKind::SetVariable { .. } => "set",
        TaskKind::Terminate { .. } => "terminate",
        TaskKind::Event { .. } => "event",
        TaskKind::Kafka { .. } => "kafka",
        TaskKind::Noop => "noop",
        TaskKind::Join { .. } => "join",
        TaskKind::ExclusiveJoin { .. } => "exclusive_join",
        TaskKind::Raw { .. } => "raw",
        TaskKind::Invalid => "invalid",
    }
}

fn value_items(
    context: &Context,
    position: Position,
    key: &str,
    partial: &str,
) -> Vec<CompletionItem> {
    let range = typed_range(position, partial, context);
    match key {
        "worker" => {
            let Some(scope) = context.parsed.scope() else {
                return Vec::new();
            };
            let mut names: Vec<_> = scope.workers.values().collect();
            names.sort_by(|left, right| left.name.value.cmp(&right.name.value));
            names
                .into_iter()
                .map(|worker| {
                    let mut entry = item(
                        &worker.name.value,
                        CompletionItemKind::FUNCTION,
                        Some(format!(
                            "{} → {}",
                            Type::Object(worker.input.clone()),
                            Type::Object(worker.output.clone())
                        )),
                        range,
                    );
                    entry.documentation = worker.description.clone().map(Documentation::String);
                    entry
                })
                .collect()
        }
        "sub_workflow" | "start_workflow" => {
            let own = context
                .parsed
                .workflow()
                .and_then(|workflow| workflow.name.clone());
            let mut names: Vec<&str> = context
                .index
                .workflows
                .iter()
                .map(|(name, _)| name.as_str())
                .filter(|name| own.as_ref().is_none_or(|own| own.value != *name))
                .collect();
            names.sort_unstable();
            names.dedup();
            names
                .into_iter()
                .map(|name| {
                    item(
                        name,
                        CompletionItemKind::MODULE,
                        Some("workflow".to_string()),
                        range,
                    )
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

/// Where a block of keys sits, from the keys of the lines above.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Place {
    TopLevel,
    TaskList,
    Task(String),
    CaseList,
    TaskInput(String),
    WorkerList,
    Worker,
    Other,
}

/// The keys of the enclosing blocks, outermost first, read from indentation.
fn enclosing_keys(source: &str, line_start: usize, indent: usize) -> Vec<String> {
    let mut keys = Vec::new();
    let mut limit = indent;
    for line in source[..line_start].lines().rev() {
        if limit == 0 {
            break;
        }
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let spaces = line.len() - trimmed.len();
        let (key_indent, content) = match trimmed.strip_prefix("- ") {
            Some(rest) => (
                spaces + 2 + (rest.len() - rest.trim_start().len()),
                rest.trim_start(),
            ),
            None => (spaces, trimmed),
        };
        if key_indent >= limit {
            continue;
        }
        let Some((key, _)) = content.split_once(':') else {
            limit = spaces;
            continue;
        };
        keys.push(key.trim().trim_matches(['"', '\'']).to_string());
        limit = if trimmed.starts_with("- ") {
            spaces
        } else {
            key_indent
        };
    }
    keys.reverse();
    keys
}

fn place_of(keys: &[String], contract: bool) -> Place {
    let mut place = Place::TopLevel;
    for key in keys {
        place = match (&place, key.as_str()) {
            (Place::TopLevel, "tasks") if !contract => Place::TaskList,
            (Place::TopLevel, "workers") => Place::WorkerList,
            (Place::WorkerList, _) => Place::Worker,
            (Place::TaskList, name) => Place::Task(name.to_string()),
            (Place::Task(_), "cases") => Place::CaseList,
            (Place::Task(_), "default" | "do" | "parallel") => Place::TaskList,
            (Place::Task(name), "compensate") => Place::Task(format!("{name}_compensation")),
            (Place::Task(name), "input") => Place::TaskInput(name.clone()),
            (Place::CaseList, _) => Place::TaskList,
            _ => Place::Other,
        };
    }
    place
}

/// The keys already written in the block at the cursor.
fn sibling_keys(source: &str, line_start: usize, indent: usize) -> Vec<String> {
    let key_at = |line: &str| -> Option<(usize, String)> {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return None;
        }
        let spaces = line.len() - trimmed.len();
        let (key_indent, content) = match trimmed.strip_prefix("- ") {
            Some(rest) => (spaces + 2, rest),
            None => (spaces, trimmed),
        };
        let key = content
            .split_once(':')
            .map(|(key, _)| key.trim().to_string());
        Some((key_indent, key.unwrap_or_default()))
    };
    let mut keys = Vec::new();
    for line in source[..line_start].lines().rev() {
        match key_at(line) {
            Some((line_indent, key)) if line_indent == indent => keys.push(key),
            Some((line_indent, _)) if line_indent < indent => break,
            _ => {}
        }
    }
    let after = source[line_start..]
        .split_once('\n')
        .map_or("", |(_, rest)| rest);
    for line in after.lines() {
        match key_at(line) {
            Some((line_indent, key)) if line_indent == indent => keys.push(key),
            Some((line_indent, _)) if line_indent < indent => break,
            _ => {}
        }
    }
    keys
}

fn key_items(
    context: &Context,
    position: Position,
    source: &str,
    line_start: usize,
    before: &str,
) -> Vec<CompletionItem> {
    let trimmed = before.trim_start();
    let spaces = before.len() - trimmed.len();
    let (indent, partial) = match trimmed.strip_prefix("- ") {
        Some(rest) => (spaces + 2, rest),
        None => (spaces, trimmed),
    };
    if !partial
        .chars()
        .all(|character| character.is_alphanumeric() || character == '_')
    {
        return Vec::new();
    }
    let range = typed_range(position, partial, context);
    let contract = is_contract_path(&context.current.path);
    let keys = enclosing_keys(source, line_start, indent);
    let present = sibling_keys(source, line_start, indent);
    let place = place_of(&keys, contract);
    let workflow = context.parsed.workflow();
    let offer =
        |names: &[&str], kind: CompletionItemKind, detail: &dyn Fn(&str) -> Option<String>| {
            names
                .iter()
                .filter(|name| !present.iter().any(|written| written == *name))
                .map(|name| {
                    let mut entry = item(name, kind, detail(name), range);
                    entry.text_edit = Some(CompletionTextEdit::Edit(TextEdit::new(
                        range,
                        format!("{name}: "),
                    )));
                    entry
                })
                .collect::<Vec<_>>()
        };
    match place {
        Place::TopLevel if contract => {
            offer(CONTRACT_FILE_KEYS, CompletionItemKind::PROPERTY, &|_| None)
        }
        Place::TopLevel => offer(WORKFLOW_KEYS, CompletionItemKind::PROPERTY, &|_| None),
        Place::Worker => offer(WORKER_KEYS, CompletionItemKind::PROPERTY, &|_| None),
        Place::Task(_) => {
            let kind = present
                .iter()
                .find(|key| KIND_KEYS.contains(&key.as_str()))
                .cloned();
            match kind {
                None => offer(KIND_KEYS, CompletionItemKind::CLASS, &|name| {
                    Some(format!("{} task", conductor_type(name)))
                }),
                Some(kind) => {
                    let mut names: Vec<&str> = COMMON_TASK_KEYS.to_vec();
                    names.extend(kind_extra_keys(&kind));
                    offer(&names, CompletionItemKind::PROPERTY, &|_| None)
                }
            }
        }
        Place::TaskInput(task) => {
            let Some(fields) = worker_input(context, workflow, &task) else {
                return Vec::new();
            };
            fields
                .iter()
                .filter(|field| !present.contains(&field.name))
                .map(|field| {
                    let required = !field.optional && !field.has_default();
                    let mut entry = item(
                        &field.name,
                        CompletionItemKind::FIELD,
                        Some(field.ty.to_string()),
                        range,
                    );
                    entry.text_edit = Some(CompletionTextEdit::Edit(TextEdit::new(
                        range,
                        format!("{}: ", field.name),
                    )));
                    entry.documentation = field.description.clone().map(Documentation::String);
                    entry.sort_text = Some(format!("{}{}", u8::from(!required), field.name));
                    if field.deprecated.is_some() {
                        entry.tags = Some(vec![CompletionItemTag::DEPRECATED]);
                    }
                    entry
                })
                .collect()
        }
        Place::TaskList | Place::CaseList | Place::WorkerList | Place::Other => Vec::new(),
    }
}

fn worker_input<'a>(
    context: &'a Context,
    workflow: Option<&'a Workflow>,
    task: &str,
) -> Option<&'a [wfc_compiler::types::Field]> {
    let task = workflow?.find_task(task)?;
    let TaskKind::Worker { name } = &task.kind else {
        return None;
    };
    let worker = context.parsed.scope()?.workers.get(&name.value)?;
    Some(&worker.input.fields)
}

fn conductor_type(kind_key: &str) -> &'static str {
    match kind_key {
        "worker" => "SIMPLE",
        "http" => "HTTP",
        "switch" => "SWITCH",
        "parallel" => "FORK_JOIN",
        "for_each" => "FORK_JOIN_DYNAMIC",
        "loop" => "DO_WHILE",
        "dynamic" => "DYNAMIC",
        "sub_workflow" => "SUB_WORKFLOW",
        "start_workflow" => "START_WORKFLOW",
        "wait" => "WAIT",
        "human" => "HUMAN",
        "inline" => "INLINE",
        "jq" => "JSON_JQ_TRANSFORM",
        "set" => "SET_VARIABLE",
        "terminate" => "TERMINATE",
        "event" => "EVENT",
        "kafka" => "KAFKA_PUBLISH",
        "noop" => "NOOP",
        "join" => "JOIN",
        "exclusive_join" => "EXCLUSIVE_JOIN",
        _ => "SIMPLE",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expression_is_open_until_its_brace_closes() {
        assert_eq!(open_expression("  a: ${first.out"), Some("first.out"));
        assert_eq!(open_expression("  a: ${first} b"), None);
        assert_eq!(open_expression("  a: $${first"), None);
        assert_eq!(open_expression("  a: ${a.${b"), Some("b"));
    }

    #[test]
    fn enclosing_keys_follow_indentation_and_list_items() {
        let source =
            "tasks:\n  setup:\n    parallel:\n      - billing:\n          worker: x\n          \n";
        let line_start = source.rfind("          \n").expect("present");
        assert_eq!(
            enclosing_keys(source, line_start, 10),
            ["tasks", "setup", "parallel", "billing"]
        );
        assert_eq!(
            place_of(&enclosing_keys(source, line_start, 10), false),
            Place::Task("billing".to_string())
        );
    }
}
