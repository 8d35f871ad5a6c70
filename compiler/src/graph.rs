//! `wfc graph`: a workflow as a Mermaid or Graphviz drawing.
//!
//! Two views, one drawing model ([`Drawing`]) and two renderers:
//!
//! * **as written** ([`authored`]): one node per task, container tasks (switch, parallel, loop)
//!   with their lists as nested groups, and the data flowing between tasks on the edges — each
//!   edge says which values the reader takes and their types (`output.artifact: string`), from
//!   the reads the checker typed ([`TaskGraph::reads`]). `after:` orderings are dotted edges.
//! * **as compiled** ([`compiled`]): the Conductor WorkflowDef the emitter produced, drawn as
//!   control flow — generated `FORK_JOIN`/`JOIN` pairs with their branches, switch cases,
//!   loop bodies — with the same typed data edges, dotted, between the tasks that keep the
//!   author's reference names.
//!
//! Node identifiers are generated (`t0`, `t1`, …) so any reference name is safe; labels are
//! escaped for each language.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde_json::Value;

use crate::check::TaskGraph;
use crate::emit::CheckedWorkflow;
use crate::model::{COMPENSATION_SLOT, Container, Task, TaskId, TaskKind, Workflow};

/// The languages a drawing is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// A Mermaid `flowchart TD`.
    Mermaid,
    /// A Graphviz `digraph`.
    Dot,
}

/// At most this many values are listed on one data edge; the rest are counted.
const MAX_EDGE_LINES: usize = 4;

/// The workflow as the author wrote it.
pub fn authored(checked: &CheckedWorkflow, language: Language) -> String {
    let workflow = checked.workflow;
    let mut drawing = Drawing::new(workflow_title(workflow));
    let mut node_of: HashMap<TaskId, usize> = HashMap::new();
    let mut root = Group::new("", "");
    add_list(
        &mut drawing,
        workflow,
        Container::Root,
        &mut root,
        &mut node_of,
    );
    for task in &workflow.tasks {
        if let Some(first) = task.compensate {
            let mut group = Group::new(
                &format!("compensation_{}", task.id.0),
                &format!("compensation of {} (failure workflow)", task.name.value),
            );
            add_list(
                &mut drawing,
                workflow,
                Container::Task {
                    task: task.id,
                    slot: COMPENSATION_SLOT,
                },
                &mut group,
                &mut node_of,
            );
            if let (Some(&from), Some(&to)) = (node_of.get(&task.id), node_of.get(&first)) {
                drawing.edge(from, to, Some("on failure".into()), Style::Dotted);
            }
            root.items.push(Item::Group(group));
        }
    }
    let outputs = (!workflow.outputs.is_empty()).then(|| {
        let node = drawing.node("outputs".into(), Shape::Round);
        root.items.push(Item::Node(node));
        node
    });
    drawing.root = root;
    // Structure: a container leads to the first tasks of each of its lists.
    for task in &workflow.tasks {
        let Some(&from) = node_of.get(&task.id) else {
            continue;
        };
        for (slot, list) in task.kind.bodies() {
            let label = structure_label(task, slot);
            for first in first_tasks(checked.graph, list) {
                if let Some(&to) = node_of.get(&first) {
                    drawing.edge(from, to, label.clone(), Style::Dashed);
                }
            }
        }
    }
    data_edges(
        checked,
        &mut drawing,
        |id| node_of.get(&id).copied(),
        outputs,
    );
    for reason in &checked.graph.reasons {
        if reason.is_data {
            continue;
        }
        if let (Some(&from), Some(&to)) = (node_of.get(&reason.from), node_of.get(&reason.to)) {
            drawing.edge(from, to, Some("after".into()), Style::Dotted);
        }
    }
    drawing.render(language)
}

/// The compiled WorkflowDef `definition`, with the data edges of the checked workflow it came
/// from.
pub fn compiled(checked: &CheckedWorkflow, definition: &Value, language: Language) -> String {
    let mut drawing = Drawing::new(workflow_title(checked.workflow));
    let mut root = Group::new("", "");
    let mut by_reference: HashMap<String, usize> = HashMap::new();
    let start = drawing.node("start".into(), Shape::Round);
    root.items.push(Item::Node(start));
    let tasks = definition
        .get("tasks")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let mut counter = 0;
    let exits = draw_tasks(
        &mut drawing,
        tasks,
        &mut root,
        vec![(start, None)],
        &mut by_reference,
        &mut counter,
    );
    let end = drawing.node("end".into(), Shape::Round);
    root.items.push(Item::Node(end));
    for (exit, label) in exits {
        drawing.edge(exit, end, label, Style::Solid);
    }
    drawing.root = root;
    let workflow = checked.workflow;
    data_edges(
        checked,
        &mut drawing,
        |id| by_reference.get(&workflow.task(id).name.value).copied(),
        None,
    );
    drawing.render(language)
}

fn workflow_title(workflow: &Workflow) -> String {
    let name = workflow
        .name
        .as_ref()
        .map_or("workflow", |name| name.value.as_str());
    let version = workflow.version.as_ref().map_or(1, |version| version.value);
    format!("{name} v{version}")
}

/// Adds the tasks of `container`'s list (and, recursively, of their lists) to `group`.
fn add_list(
    drawing: &mut Drawing,
    workflow: &Workflow,
    container: Container,
    group: &mut Group,
    node_of: &mut HashMap<TaskId, usize>,
) {
    for &id in workflow.list(container) {
        let task = workflow.task(id);
        let shape = match task.kind {
            TaskKind::Switch { .. } => Shape::Diamond,
            TaskKind::Parallel { .. } | TaskKind::ForEach { .. } | TaskKind::Loop { .. } => {
                Shape::Hexagon
            }
            _ => Shape::Box,
        };
        let node = drawing.node(format!("{}\n{}", task.name.value, kind_label(task)), shape);
        node_of.insert(id, node);
        group.items.push(Item::Node(node));
        for (slot, _) in task.kind.bodies() {
            let mut body = Group::new(
                &format!("t{}_{}", id.0, slot),
                &format!("{} {}", task.name.value, slot_label(task, slot)),
            );
            add_list(
                drawing,
                workflow,
                Container::Task { task: id, slot },
                &mut body,
                node_of,
            );
            group.items.push(Item::Group(body));
        }
    }
}

/// The tasks of a list that wait for no sibling.
fn first_tasks(graph: &TaskGraph, list: &[TaskId]) -> Vec<TaskId> {
    let members: std::collections::HashSet<TaskId> = list.iter().copied().collect();
    let waiting: std::collections::HashSet<TaskId> = graph
        .dependencies
        .iter()
        .filter(|(from, to)| members.contains(from) && members.contains(to))
        .map(|(_, to)| *to)
        .collect();
    list.iter()
        .copied()
        .filter(|id| !waiting.contains(id))
        .collect()
}

fn structure_label(task: &Task, slot: u32) -> Option<String> {
    match &task.kind {
        TaskKind::Switch { .. } => Some(slot_label(task, slot)),
        _ => None,
    }
}

fn slot_label(task: &Task, slot: u32) -> String {
    match &task.kind {
        TaskKind::Switch { cases, .. } => match cases.get(slot as usize) {
            Some(case) => format!("case {}", case.value.value),
            None => "default".to_string(),
        },
        TaskKind::Parallel { .. } => format!("branch {}", slot + 1),
        TaskKind::Loop { .. } => "loop body".to_string(),
        _ => format!("list {slot}"),
    }
}

fn kind_label(task: &Task) -> String {
    match &task.kind {
        TaskKind::Worker { name } => format!("worker {}", name.value),
        TaskKind::SubWorkflow { target } | TaskKind::StartWorkflow { target, .. } => {
            format!("{} {}", task.kind.conductor_type(), target.name.value)
        }
        TaskKind::ForEach { .. } => "for_each".to_string(),
        TaskKind::Raw { .. } => format!("raw {}", task.kind.conductor_type()),
        other => other.conductor_type().to_string(),
    }
}

/// Data edges from the typed reads: one edge per (read task, reader), listing what is read.
fn data_edges(
    checked: &CheckedWorkflow,
    drawing: &mut Drawing,
    node_of: impl Fn(TaskId) -> Option<usize>,
    outputs: Option<usize>,
) {
    let text = checked.sources.text(checked.workflow.file);
    // (from node, to node) → the values read, in source order, without repeats.
    let mut edges: Vec<((usize, usize), Vec<String>)> = Vec::new();
    let mut position: HashMap<(usize, usize), usize> = HashMap::new();
    for read in &checked.graph.reads {
        let Some(from) = node_of(read.target) else {
            continue;
        };
        let to = match read.reader {
            Some(reader) => node_of(reader),
            None => outputs,
        };
        let Some(to) = to else { continue };
        if from == to {
            continue;
        }
        let path = text
            .get(read.span.start as usize..read.span.end as usize)
            .unwrap_or("");
        let name = &checked.workflow.task(read.target).name.value;
        let field = path
            .strip_prefix(name.as_str())
            .map(|rest| rest.trim_start_matches('.'))
            .filter(|rest| !rest.is_empty())
            .unwrap_or("(whole task)");
        let line = format!("{field}: {}", read.ty);
        match position.get(&(from, to)) {
            Some(&index) => {
                let lines = &mut edges[index].1;
                if !lines.contains(&line) {
                    lines.push(line);
                }
            }
            None => {
                position.insert((from, to), edges.len());
                edges.push(((from, to), vec![line]));
            }
        }
    }
    for ((from, to), mut lines) in edges {
        if lines.len() > MAX_EDGE_LINES {
            let more = lines.len() - (MAX_EDGE_LINES - 1);
            lines.truncate(MAX_EDGE_LINES - 1);
            lines.push(format!("… {more} more"));
        }
        drawing.edge(from, to, Some(lines.join("\n")), Style::Data);
    }
}

/// Draws a Conductor task list after `predecessors` (node, label of the edge leaving it);
/// returns the nodes control leaves the list from.
fn draw_tasks(
    drawing: &mut Drawing,
    tasks: &[Value],
    group: &mut Group,
    mut predecessors: Vec<(usize, Option<String>)>,
    by_reference: &mut HashMap<String, usize>,
    counter: &mut usize,
) -> Vec<(usize, Option<String>)> {
    for task in tasks {
        let reference = task
            .get("taskReferenceName")
            .and_then(Value::as_str)
            .unwrap_or("?");
        let task_type = task.get("type").and_then(Value::as_str).unwrap_or("SIMPLE");
        let detail = match task_type {
            "SIMPLE" => task.get("name").and_then(Value::as_str).map(str::to_string),
            "SUB_WORKFLOW" => task
                .pointer("/subWorkflowParam/name")
                .and_then(Value::as_str)
                .map(str::to_string),
            _ => None,
        };
        let label = match detail {
            Some(detail) => format!("{reference}\n{task_type} {detail}"),
            None => format!("{reference}\n{task_type}"),
        };
        let shape = match task_type {
            "SWITCH" | "DECISION" => Shape::Diamond,
            "FORK_JOIN" | "JOIN" | "FORK_JOIN_DYNAMIC" | "EXCLUSIVE_JOIN" => Shape::Bar,
            "DO_WHILE" => Shape::Hexagon,
            _ => Shape::Box,
        };
        let node = drawing.node(label, shape);
        by_reference.insert(reference.to_string(), node);
        group.items.push(Item::Node(node));
        for (before, edge_label) in predecessors.drain(..) {
            drawing.edge(before, node, edge_label, Style::Solid);
        }
        let mut nested = |drawing: &mut Drawing,
                          list: &[Value],
                          title: String,
                          entry: Option<String>,
                          group: &mut Group,
                          by_reference: &mut HashMap<String, usize>| {
            *counter += 1;
            let mut body = Group::new(&format!("g{counter}"), &title);
            let exits = draw_tasks(
                drawing,
                list,
                &mut body,
                vec![(node, entry.clone())],
                by_reference,
                counter,
            );
            group.items.push(Item::Group(body));
            exits
        };
        match task_type {
            "FORK_JOIN" => {
                let branches = task
                    .get("forkTasks")
                    .and_then(Value::as_array)
                    .map_or(&[][..], Vec::as_slice);
                for (index, branch) in branches.iter().enumerate() {
                    let list = branch.as_array().map_or(&[][..], Vec::as_slice);
                    let title = format!("{reference} branch {}", index + 1);
                    predecessors.extend(nested(drawing, list, title, None, group, by_reference));
                }
                if predecessors.is_empty() {
                    predecessors.push((node, None));
                }
            }
            "SWITCH" | "DECISION" => {
                if let Some(cases) = task.get("decisionCases").and_then(Value::as_object) {
                    for (value, list) in cases {
                        let list = list.as_array().map_or(&[][..], Vec::as_slice);
                        let title = format!("{reference} case {value}");
                        let entry = Some(value.clone());
                        if list.is_empty() {
                            predecessors.push((node, entry));
                        } else {
                            predecessors.extend(nested(
                                drawing,
                                list,
                                title,
                                entry,
                                group,
                                by_reference,
                            ));
                        }
                    }
                }
                let default = task
                    .get("defaultCase")
                    .and_then(Value::as_array)
                    .map_or(&[][..], Vec::as_slice);
                if default.is_empty() {
                    predecessors.push((node, Some("default".into())));
                } else {
                    let title = format!("{reference} default");
                    predecessors.extend(nested(
                        drawing,
                        default,
                        title,
                        Some("default".into()),
                        group,
                        by_reference,
                    ));
                }
            }
            "DO_WHILE" => {
                let body = task
                    .get("loopOver")
                    .and_then(Value::as_array)
                    .map_or(&[][..], Vec::as_slice);
                let title = format!("{reference} loop body");
                let exits = nested(drawing, body, title, None, group, by_reference);
                for (exit, _) in exits {
                    drawing.edge(exit, node, Some("repeat".into()), Style::Dashed);
                }
                predecessors.push((node, Some("done".into())));
            }
            "TERMINATE" => {}
            _ => predecessors.push((node, None)),
        }
    }
    predecessors
}

// ----- the drawing model --------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Box,
    Round,
    Diamond,
    Hexagon,
    /// A fork or join bar.
    Bar,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// Control flow.
    Solid,
    /// Structure: a container and its lists, loop repeats.
    Dashed,
    /// Orderings without data (`after:`), failure paths.
    Dotted,
    /// Data, labelled with types.
    Data,
}

struct Node {
    label: String,
    shape: Shape,
}

struct Edge {
    from: usize,
    to: usize,
    label: Option<String>,
    style: Style,
}

enum Item {
    Node(usize),
    Group(Group),
}

struct Group {
    id: String,
    label: String,
    items: Vec<Item>,
}

impl Group {
    fn new(id: &str, label: &str) -> Group {
        Group {
            id: id.to_string(),
            label: label.to_string(),
            items: Vec::new(),
        }
    }
}

struct Drawing {
    title: String,
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    root: Group,
}

impl Drawing {
    fn new(title: String) -> Drawing {
        Drawing {
            title,
            nodes: Vec::new(),
            edges: Vec::new(),
            root: Group::new("", ""),
        }
    }

    fn node(&mut self, label: String, shape: Shape) -> usize {
        self.nodes.push(Node { label, shape });
        self.nodes.len() - 1
    }

    fn edge(&mut self, from: usize, to: usize, label: Option<String>, style: Style) {
        self.edges.push(Edge {
            from,
            to,
            label,
            style,
        });
    }

    fn render(&self, language: Language) -> String {
        match language {
            Language::Mermaid => self.mermaid(),
            Language::Dot => self.dot(),
        }
    }

    fn mermaid(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "---\ntitle: {}\n---", mermaid_text(&self.title));
        out.push_str("flowchart TD\n");
        self.mermaid_items(&self.root.items, 1, &mut out);
        for edge in &self.edges {
            let arrow = match edge.style {
                Style::Solid => "-->",
                Style::Dashed | Style::Dotted => "-.->",
                Style::Data => "==>",
            };
            match &edge.label {
                Some(label) => {
                    let _ = writeln!(
                        out,
                        "    t{} {arrow}|\"{}\"| t{}",
                        edge.from,
                        mermaid_text(label),
                        edge.to
                    );
                }
                None => {
                    let _ = writeln!(out, "    t{} {arrow} t{}", edge.from, edge.to);
                }
            }
        }
        out
    }

    fn mermaid_items(&self, items: &[Item], depth: usize, out: &mut String) {
        let pad = "    ".repeat(depth);
        for item in items {
            match item {
                Item::Node(index) => {
                    let node = &self.nodes[*index];
                    let label = mermaid_text(&node.label);
                    let (open, close) = match node.shape {
                        Shape::Box => ("[\"", "\"]"),
                        Shape::Round => ("([\"", "\"])"),
                        Shape::Diamond => ("{\"", "\"}"),
                        Shape::Hexagon => ("{{\"", "\"}}"),
                        Shape::Bar => ("[/\"", "\"\\]"),
                    };
                    let _ = writeln!(out, "{pad}t{index}{open}{label}{close}");
                }
                Item::Group(group) => {
                    let _ = writeln!(
                        out,
                        "{pad}subgraph {}[\"{}\"]",
                        group.id,
                        mermaid_text(&group.label)
                    );
                    self.mermaid_items(&group.items, depth + 1, out);
                    let _ = writeln!(out, "{pad}end");
                }
            }
        }
    }

    fn dot(&self) -> String {
        let mut out = String::new();
        out.push_str("digraph workflow {\n");
        let _ = writeln!(out, "    label=\"{}\";", dot_text(&self.title));
        out.push_str("    labelloc=t;\n    rankdir=TB;\n    compound=true;\n");
        out.push_str("    node [shape=box, style=rounded, fontname=\"Helvetica\"];\n");
        out.push_str("    edge [fontname=\"Helvetica\", fontsize=10];\n");
        self.dot_items(&self.root.items, 1, &mut out);
        for edge in &self.edges {
            let mut attributes = Vec::new();
            if let Some(label) = &edge.label {
                attributes.push(format!("label=\"{}\"", dot_text(label)));
            }
            match edge.style {
                Style::Solid => {}
                Style::Dashed => attributes.push("style=dashed".into()),
                Style::Dotted => attributes.push("style=dotted".into()),
                Style::Data => attributes.push("color=\"#3b6fb6\", fontcolor=\"#3b6fb6\"".into()),
            }
            if attributes.is_empty() {
                let _ = writeln!(out, "    t{} -> t{};", edge.from, edge.to);
            } else {
                let _ = writeln!(
                    out,
                    "    t{} -> t{} [{}];",
                    edge.from,
                    edge.to,
                    attributes.join(", ")
                );
            }
        }
        out.push_str("}\n");
        out
    }

    fn dot_items(&self, items: &[Item], depth: usize, out: &mut String) {
        let pad = "    ".repeat(depth);
        for item in items {
            match item {
                Item::Node(index) => {
                    let node = &self.nodes[*index];
                    let shape = match node.shape {
                        Shape::Box => "",
                        Shape::Round => ", shape=ellipse",
                        Shape::Diamond => ", shape=diamond",
                        Shape::Hexagon => ", shape=hexagon",
                        Shape::Bar => ", shape=box, style=\"filled\", fillcolor=\"#dddddd\"",
                    };
                    let _ = writeln!(
                        out,
                        "{pad}t{index} [label=\"{}\"{shape}];",
                        dot_text(&node.label)
                    );
                }
                Item::Group(group) => {
                    let _ = writeln!(out, "{pad}subgraph cluster_{} {{", group.id);
                    let _ = writeln!(out, "{pad}    label=\"{}\";", dot_text(&group.label));
                    out.push_str(&pad);
                    out.push_str("    style=dashed;\n");
                    self.dot_items(&group.items, depth + 1, out);
                    let _ = writeln!(out, "{pad}}}");
                }
            }
        }
    }
}

/// Text inside a quoted Mermaid label: entity codes for what Mermaid would parse.
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            '|' => out.push_str("#124;"),
            '\n' => out.push_str("<br/>"),
            other => out.push(other),
        }
    }
    out
}

/// Text inside a quoted DOT string.
fn dot_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped() {
        assert_eq!(
            mermaid_text("a \"b\" list<string>\n#1|x"),
            "a #quot;b#quot; list#lt;string#gt;<br/>#35;1#124;x"
        );
        assert_eq!(dot_text("a \"b\" \\ \nc"), "a \\\"b\\\" \\\\ \\nc");
    }
}
