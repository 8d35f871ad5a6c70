//! `wfc explain`: the plan of a workflow in words.
//!
//! Authors do not write forks and joins; the planner decides them ([`crate::layout`]). This
//! module shows what it decided — each task list as waves and branches, the critical path, the
//! estimated makespan against running everything one by one — and answers "why do these two
//! tasks (not) run in parallel?" from the evidence the checker recorded (the `${...}` reads and
//! `after:` entries behind each dependency). It reads the same layout as the emitter, so what it
//! says is what gets deployed.
//!
//! Durations are estimates in seconds: a task's `estimate:`, else one second; a switch takes its
//! longest case, a loop one iteration of its body.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;

use crate::check::TaskGraph;
use crate::emit::CheckedWorkflow;
use crate::layout::{Layout, ListLayout};
use crate::model::{COMPENSATION_SLOT, Container, Task, TaskId, TaskKind, Workflow};
use crate::plan::{self, Plan};
use crate::source::{ColumnUnit, LineIndex};
use crate::suggest;

/// Estimated durations of a task list (seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Durations {
    /// As planned: the makespan of the list's fork/join layout.
    pub planned: u64,
    /// The lower bound: the longest chain of dependencies.
    pub critical: u64,
    /// Every task one after the other.
    pub sequential: u64,
}

/// Explains plans of one checked workflow.
pub struct Explainer<'a> {
    checked: CheckedWorkflow<'a>,
    layout: Layout<'a>,
    lines: LineIndex,
    /// Layouts and durations of every list, computed once.
    lists: HashMap<Container, MeasuredList>,
}

/// A task list's layout and estimated durations.
struct MeasuredList {
    layout: ListLayout,
    /// Per task of the list, in the author's order.
    per_task: Vec<Durations>,
    /// The whole list.
    durations: Durations,
}

impl<'a> Explainer<'a> {
    pub fn new(checked: CheckedWorkflow<'a>) -> Explainer<'a> {
        let text = checked.sources.text(checked.workflow.file);
        let mut explainer = Explainer {
            checked,
            layout: Layout::new(checked.workflow, checked.graph),
            lines: LineIndex::new(text),
            lists: HashMap::new(),
        };
        explainer.measure(Container::Root, 0);
        explainer
    }

    fn workflow(&self) -> &'a Workflow {
        self.checked.workflow
    }

    fn graph(&self) -> &'a TaskGraph {
        self.checked.graph
    }

    fn task(&self, id: TaskId) -> &'a Task {
        self.workflow().task(id)
    }

    /// The estimated durations of the whole workflow.
    pub fn durations(&self) -> Durations {
        self.lists
            .get(&Container::Root)
            .map(|list| list.durations)
            .unwrap_or_default()
    }

    /// Lays out `container`'s list and its nested lists, recording their durations; returns
    /// the list's durations.
    fn measure(&mut self, container: Container, depth: usize) -> Durations {
        let workflow = self.workflow();
        let list = workflow.list(container);
        let layout = self.layout.list(list);
        let mut per_task = Vec::with_capacity(list.len());
        for &id in list {
            per_task.push(self.task_durations(id, depth));
        }
        let unit_weight = |pick: fn(&Durations) -> u64| -> Vec<u64> {
            layout
                .units
                .iter()
                .map(|members| members.iter().map(|member| pick(&per_task[*member])).sum())
                .collect()
        };
        let planned = plan::makespan(&layout.shape, &unit_weight(|d| d.planned));
        let critical = plan::critical_path(&unit_weight(|d| d.critical), &layout.unit_edges);
        let sequential = per_task.iter().map(|d| d.sequential).sum();
        let durations = Durations {
            planned,
            critical,
            sequential,
        };
        self.lists.insert(
            container,
            MeasuredList {
                layout,
                per_task,
                durations,
            },
        );
        durations
    }

    fn task_durations(&mut self, id: TaskId, depth: usize) -> Durations {
        let task = self.task(id);
        let bodies = task.kind.bodies();
        let mut nested = Vec::new();
        // The compensation runs in another workflow: it costs this one nothing, but is explained.
        if task.compensate.is_some() && depth < MAX_DEPTH {
            self.measure(
                Container::Task {
                    task: id,
                    slot: COMPENSATION_SLOT,
                },
                depth + 1,
            );
        }
        if depth < MAX_DEPTH {
            for (slot, _) in &bodies {
                nested.push(self.measure(
                    Container::Task {
                        task: id,
                        slot: *slot,
                    },
                    depth + 1,
                ));
            }
        }
        if let Some(estimate) = task.estimate_ms {
            let seconds = estimate.div_ceil(1000).max(1);
            return Durations {
                planned: seconds,
                critical: seconds,
                sequential: seconds,
            };
        }
        if nested.is_empty() {
            let weight = self.layout.weight(id);
            return Durations {
                planned: weight,
                critical: weight,
                sequential: weight,
            };
        }
        let all_branches_run = matches!(task.kind, TaskKind::Parallel { .. });
        let longest = |pick: fn(&Durations) -> u64| nested.iter().map(pick).max().unwrap_or(0);
        Durations {
            planned: longest(|d| d.planned).max(1),
            critical: longest(|d| d.critical).max(1),
            sequential: if all_branches_run {
                nested.iter().map(|d| d.sequential).sum::<u64>().max(1)
            } else {
                longest(|d| d.sequential).max(1)
            },
        }
    }

    // ----- the plan ------------------------------------------------------------------------

    /// The whole explanation: header, plan tree, critical path and makespan.
    pub fn plan_text(&self) -> String {
        let workflow = self.workflow();
        let mut out = String::new();
        let name = workflow
            .name
            .as_ref()
            .map_or("(unnamed)", |name| name.value.as_str());
        let version = workflow.version.as_ref().map_or(1, |version| version.value);
        let _ = writeln!(
            out,
            "workflow {name} v{version} ({})",
            self.checked.sources.path(workflow.file)
        );
        out.push('\n');
        out.push_str("plan\n");
        self.list_text(Container::Root, 1, &mut out);
        for task in &workflow.tasks {
            if task.compensate.is_some() && self.lists.contains_key(&compensation_of(task.id)) {
                let _ = writeln!(
                    out,
                    "\ncompensation of {} (in the failure workflow)",
                    task.name.value
                );
                self.list_text(compensation_of(task.id), 1, &mut out);
            }
        }
        out.push('\n');
        let durations = self.durations();
        let path = self.critical_path(Container::Root);
        let names: Vec<&str> = path
            .iter()
            .map(|id| self.task(*id).name.value.as_str())
            .collect();
        let _ = writeln!(
            out,
            "critical path  {}  ({})",
            if names.is_empty() {
                "(no tasks)".to_string()
            } else {
                names.join(" → ")
            },
            duration(durations.critical)
        );
        let _ = writeln!(
            out,
            "makespan       {} as planned, {} one task at a time ({})",
            duration(durations.planned),
            duration(durations.sequential),
            speedup(durations.sequential, durations.planned)
        );
        if durations.planned > durations.critical {
            let _ = writeln!(
                out,
                "               {} more than the critical path: some dependencies are not \
                 series-parallel, and Conductor's forks and joins can only express those \
                 (lists marked `+` below added waiting)",
                duration(durations.planned - durations.critical)
            );
            for (container, measured) in self.sorted_lists() {
                let list = measured.durations;
                if list.planned > list.critical {
                    let _ = writeln!(
                        out,
                        "               + {}: {} planned, {} critical path",
                        self.container_name(container),
                        duration(list.planned),
                        duration(list.critical)
                    );
                }
            }
        }
        if !workflow.tasks.iter().any(|task| task.estimate_ms.is_some()) {
            out.push_str("               (no task has `estimate:`; each counts as 1s)\n");
        }
        out
    }

    fn sorted_lists(&self) -> Vec<(Container, &MeasuredList)> {
        let mut lists: Vec<_> = self
            .lists
            .iter()
            .map(|(container, entry)| (*container, entry))
            .collect();
        lists.sort_by_key(|(container, _)| *container);
        lists
    }

    fn container_name(&self, container: Container) -> String {
        match container {
            Container::Root => "the top-level tasks".to_string(),
            Container::Task { task, slot } => {
                format!(
                    "{} {}",
                    self.task(task).name.value,
                    self.slot_name(task, slot)
                )
            }
        }
    }

    fn slot_name(&self, id: TaskId, slot: u32) -> String {
        let task = self.task(id);
        if slot == COMPENSATION_SLOT {
            return "compensation".to_string();
        }
        match &task.kind {
            TaskKind::Switch { cases, .. } => match cases.get(slot as usize) {
                Some(case) => format!("case {}", quote_case(&case.value.value)),
                None => "default case".to_string(),
            },
            TaskKind::Parallel { .. } => format!("branch {}", slot + 1),
            TaskKind::Loop { .. } => "loop body".to_string(),
            _ => format!("list {slot}"),
        }
    }

    /// One list as an indented tree: sequences one step per line, parallels as numbered
    /// branches, containers with their nested lists under them.
    fn list_text(&self, container: Container, indent: usize, out: &mut String) {
        let Some(MeasuredList {
            layout, per_task, ..
        }) = self.lists.get(&container)
        else {
            return;
        };
        let list = self.workflow().list(container);
        if list.is_empty() {
            let _ = writeln!(out, "{}(no tasks)", pad(indent));
            return;
        }
        self.shape_text(&layout.shape, layout, per_task, list, indent, out);
    }

    fn shape_text(
        &self,
        shape: &Plan,
        layout: &ListLayout,
        per_task: &[Durations],
        list: &[TaskId],
        indent: usize,
        out: &mut String,
    ) {
        match shape {
            Plan::Task(unit) => {
                for member in layout.units.get(*unit).map_or(&[][..], Vec::as_slice) {
                    self.task_text(list[*member], per_task[*member], indent, out);
                }
            }
            Plan::Sequence(children) => {
                for child in children {
                    self.shape_text(child, layout, per_task, list, indent, out);
                }
            }
            Plan::Parallel(children) => {
                let unit_planned: Vec<u64> = layout
                    .units
                    .iter()
                    .map(|members| members.iter().map(|m| per_task[*m].planned).sum())
                    .collect();
                let longest = plan::makespan(shape, &unit_planned);
                let _ = writeln!(
                    out,
                    "{}in parallel ({} branches, {})",
                    pad(indent),
                    children.len(),
                    duration(longest)
                );
                for (index, child) in children.iter().enumerate() {
                    let branch = plan::makespan(child, &unit_planned);
                    let _ = writeln!(
                        out,
                        "{}branch {} ({}{})",
                        pad(indent + 1),
                        index + 1,
                        duration(branch),
                        if branch == longest && children.len() > 1 {
                            ", the longest"
                        } else {
                            ""
                        }
                    );
                    self.shape_text(child, layout, per_task, list, indent + 2, out);
                }
            }
        }
    }

    fn task_text(&self, id: TaskId, durations: Durations, indent: usize, out: &mut String) {
        let task = self.task(id);
        let label = format!("{}{}", pad(indent), task.name.value);
        let _ = writeln!(
            out,
            "{label:<36} {:<28} {}",
            kind_text(task),
            duration(durations.planned)
        );
        for (slot, _) in task.kind.bodies() {
            let container = Container::Task { task: id, slot };
            let _ = writeln!(out, "{}{}", pad(indent + 1), self.slot_name(id, slot));
            self.list_text(container, indent + 2, out);
        }
    }

    /// A longest chain of dependencies through `container`'s list (by planned durations of
    /// its tasks), in order.
    fn critical_path(&self, container: Container) -> Vec<TaskId> {
        let Some(MeasuredList {
            layout, per_task, ..
        }) = self.lists.get(&container)
        else {
            return Vec::new();
        };
        let list = self.workflow().list(container);
        let count = list.len();
        let mut predecessors: Vec<Vec<usize>> = vec![Vec::new(); count];
        for &(from, to) in &layout.edges {
            predecessors[to].push(from);
        }
        // Positions in a topological order (Kahn; the checker rejected cycles).
        let order = topological_positions(count, &layout.edges);
        let mut finish = vec![0u64; count];
        let mut best_predecessor: Vec<Option<usize>> = vec![None; count];
        for &position in &order {
            let mut start = 0;
            for &before in &predecessors[position] {
                if finish[before] > start {
                    start = finish[before];
                    best_predecessor[position] = Some(before);
                }
            }
            finish[position] = start + per_task[position].critical;
        }
        let Some(mut last) =
            (0..count).max_by_key(|position| (finish[*position], usize::MAX - position))
        else {
            return Vec::new();
        };
        let mut path = vec![list[last]];
        while let Some(before) = best_predecessor[last] {
            path.push(list[before]);
            last = before;
        }
        path.reverse();
        path
    }

    // ----- why -----------------------------------------------------------------------------

    /// Why two tasks run (or do not run) in parallel. Unknown names are errors, with a
    /// did-you-mean.
    pub fn why(&self, first: &str, second: &str) -> Result<String, String> {
        let first = self.find(first)?;
        let second = self.find(second)?;
        let workflow = self.workflow();
        let (a, b) = (self.task(first), self.task(second));
        if first == second {
            return Ok(format!("`{}` is one task", a.name.value));
        }
        let chain_a = workflow.ancestors(first);
        let chain_b = workflow.ancestors(second);
        let common = chain_a
            .iter()
            .zip(&chain_b)
            .take_while(|(left, right)| left == right)
            .count();
        // One inside the other.
        if common == chain_a.len() || common == chain_b.len() {
            let (outer, inner, chain) = if common == chain_a.len() {
                (a, b, &chain_b)
            } else {
                (b, a, &chain_a)
            };
            let (container, _) = chain[common];
            let Container::Task { slot, .. } = container else {
                return Ok(String::new());
            };
            return Ok(format!(
                "`{}` runs inside `{}` ({}): it starts after `{}` starts and `{}` ends after it",
                inner.name.value,
                outer.name.value,
                self.slot_name(outer.id, slot),
                outer.name.value,
                outer.name.value
            ));
        }
        let (container_a, item_a) = chain_a[common];
        let (container_b, item_b) = chain_b[common];
        let mut out = String::new();
        let nested_note = |item: TaskId, task: &Task| {
            if item == task.id {
                String::new()
            } else {
                format!(
                    "`{}` is inside `{}`, so it runs when `{}` does; ",
                    task.name.value,
                    self.task(item).name.value,
                    self.task(item).name.value
                )
            }
        };
        out.push_str(&nested_note(item_a, a));
        out.push_str(&nested_note(item_b, b));
        if container_a != container_b {
            let Container::Task { task: parent, .. } = container_a else {
                return Ok(out);
            };
            let parent_task = self.task(parent);
            let (Container::Task { slot: slot_a, .. }, Container::Task { slot: slot_b, .. }) =
                (container_a, container_b)
            else {
                return Ok(out);
            };
            let place = |slot| self.slot_name(parent, slot);
            let sentence = match parent_task.kind {
                TaskKind::Switch { .. } => format!(
                    "`{}` and `{}` never both run: they are in different cases of switch `{}` ({} and {})",
                    a.name.value,
                    b.name.value,
                    parent_task.name.value,
                    place(slot_a),
                    place(slot_b)
                ),
                TaskKind::Parallel { .. } => format!(
                    "`{}` and `{}` run in parallel: they are in different branches of `{}` ({} and {}), which do not wait for each other",
                    a.name.value,
                    b.name.value,
                    parent_task.name.value,
                    place(slot_a),
                    place(slot_b)
                ),
                _ => format!(
                    "`{}` and `{}` are in different lists of `{}` ({} and {})",
                    a.name.value,
                    b.name.value,
                    parent_task.name.value,
                    place(slot_a),
                    place(slot_b)
                ),
            };
            if slot_a == COMPENSATION_SLOT || slot_b == COMPENSATION_SLOT {
                out.push_str(&format!(
                    "`{}` and `{}` never run in the same workflow: a compensation runs in the failure workflow",
                    a.name.value, b.name.value
                ));
            } else {
                out.push_str(&sentence);
            }
            return Ok(out);
        }
        // Siblings (or inside siblings) of one list.
        let Some(MeasuredList { layout, .. }) = self.lists.get(&container_a) else {
            return Ok(out);
        };
        let list = workflow.list(container_a);
        let position = |id: TaskId| list.iter().position(|item| *item == id);
        let (Some(position_a), Some(position_b)) = (position(item_a), position(item_b)) else {
            return Ok(out);
        };
        let (name_a, name_b) = (&self.task(item_a).name.value, &self.task(item_b).name.value);
        if let Some(path) = self.dependency_path(list, &layout.edges, position_a, position_b) {
            let _ = write!(out, "`{name_b}` runs after `{name_a}`: ");
            out.push_str(&self.path_text(&path));
            return Ok(out);
        }
        if let Some(path) = self.dependency_path(list, &layout.edges, position_b, position_a) {
            let _ = write!(out, "`{name_a}` runs after `{name_b}`: ");
            out.push_str(&self.path_text(&path));
            return Ok(out);
        }
        let unit_of = |position: usize| {
            layout
                .units
                .iter()
                .position(|members| members.contains(&position))
        };
        let (Some(unit_a), Some(unit_b)) = (unit_of(position_a), unit_of(position_b)) else {
            return Ok(out);
        };
        let _ = write!(
            out,
            "`{name_a}` and `{name_b}` are independent: neither reads the other's data, directly or \
             through other tasks, nor waits for it with `after:`"
        );
        match relation(&layout.shape, unit_a, unit_b) {
            Some(Relation::Parallel) => {
                out.push_str(", so they run in parallel (different branches of one fork)");
            }
            Some(Relation::Before) | Some(Relation::After) | None => {
                let (earlier, later) =
                    if relation(&layout.shape, unit_a, unit_b) == Some(Relation::After) {
                        (name_b, name_a)
                    } else {
                        (name_a, name_b)
                    };
                let _ = write!(
                    out,
                    "; yet the plan runs `{later}` after `{earlier}`: the dependencies of this list \
                     are not series-parallel, Conductor's forks and joins cannot express them \
                     exactly, and this order adds the least waiting the planner found"
                );
            }
        }
        Ok(out)
    }

    fn find(&self, name: &str) -> Result<TaskId, String> {
        let workflow = self.workflow();
        match workflow.find_task(name) {
            Some(task) => Ok(task.id),
            None => {
                let names = workflow.tasks.iter().map(|task| task.name.value.as_str());
                Err(match suggest::closest(name, names) {
                    Some(candidate) => {
                        format!("no task `{name}` in this workflow; did you mean `{candidate}`?")
                    }
                    None => format!("no task `{name}` in this workflow"),
                })
            }
        }
    }

    /// A shortest chain of dependencies from `from` to `to` (positions in `list`).
    fn dependency_path(
        &self,
        list: &[TaskId],
        edges: &[(usize, usize)],
        from: usize,
        to: usize,
    ) -> Option<Vec<(TaskId, TaskId)>> {
        let mut successors: Vec<Vec<usize>> = vec![Vec::new(); list.len()];
        for &(before, after) in edges {
            successors[before].push(after);
        }
        let mut previous: Vec<Option<usize>> = vec![None; list.len()];
        let mut seen = vec![false; list.len()];
        seen[from] = true;
        let mut queue = VecDeque::from([from]);
        while let Some(position) = queue.pop_front() {
            if position == to {
                let mut hops = Vec::new();
                let mut current = to;
                while let Some(before) = previous[current] {
                    hops.push((list[before], list[current]));
                    current = before;
                }
                hops.reverse();
                return Some(hops);
            }
            for &next in &successors[position] {
                if !seen[next] {
                    seen[next] = true;
                    previous[next] = Some(position);
                    queue.push_back(next);
                }
            }
        }
        None
    }

    fn path_text(&self, hops: &[(TaskId, TaskId)]) -> String {
        let text = self.checked.sources.text(self.workflow().file);
        let mut parts = Vec::new();
        for (before, after) in hops {
            let Some(reason) = self
                .graph()
                .reasons
                .iter()
                .find(|reason| reason.from == *before && reason.to == *after)
            else {
                continue;
            };
            let evidence = text
                .get(reason.span.start as usize..reason.span.end as usize)
                .unwrap_or("");
            let location =
                self.lines
                    .line_column(text, reason.span.start as usize, ColumnUnit::Char);
            let place = format!("line {}:{}", location.line, location.column);
            let (after_name, before_name) = (
                &self.task(*after).name.value,
                &self.task(*before).name.value,
            );
            parts.push(if reason.is_data {
                // The dependency's span is the name read; the typed read has the whole path and
                // the task that reads it (maybe nested inside the sibling).
                let read = self.graph().reads.iter().find(|read| {
                    read.span.start <= reason.span.start && reason.span.start < read.span.end
                });
                let (reader, path) = match read {
                    Some(read) => (
                        match read.reader {
                            Some(reader) if reader != *after => {
                                format!("`{}` (in `{after_name}`)", self.task(reader).name.value)
                            }
                            _ => format!("`{after_name}`"),
                        },
                        text.get(read.span.start as usize..read.span.end as usize)
                            .unwrap_or(evidence),
                    ),
                    None => (format!("`{after_name}`"), evidence),
                };
                format!("{reader} reads `${{{path}}}` ({place})")
            } else {
                format!("`{after_name}` waits for `{before_name}` ({place})")
            });
        }
        parts.join(", then ")
    }
}

/// Compound tasks nested deeper than this are not laid out (a bound on recursion; checked
/// workflows are far shallower).
const MAX_DEPTH: usize = 64;

fn compensation_of(task: TaskId) -> Container {
    Container::Task {
        task,
        slot: COMPENSATION_SLOT,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relation {
    /// The first unit's subtree is in an earlier child of a sequence.
    Before,
    After,
    Parallel,
}

/// How a plan orders two of its units: the kind of their lowest common ancestor.
fn relation(shape: &Plan, first: usize, second: usize) -> Option<Relation> {
    match shape {
        Plan::Task(_) => None,
        Plan::Sequence(children) | Plan::Parallel(children) => {
            let index_of = |unit: usize| children.iter().position(|child| contains(child, unit));
            let (index_a, index_b) = (index_of(first)?, index_of(second)?);
            if index_a == index_b {
                return relation(&children[index_a], first, second);
            }
            Some(match shape {
                Plan::Parallel(_) => Relation::Parallel,
                _ if index_a < index_b => Relation::Before,
                _ => Relation::After,
            })
        }
    }
}

fn contains(shape: &Plan, unit: usize) -> bool {
    match shape {
        Plan::Task(task) => *task == unit,
        Plan::Sequence(children) | Plan::Parallel(children) => {
            children.iter().any(|child| contains(child, unit))
        }
    }
}

fn topological_positions(count: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let mut indegree = vec![0usize; count];
    let mut successors: Vec<Vec<usize>> = vec![Vec::new(); count];
    for &(from, to) in edges {
        successors[from].push(to);
        indegree[to] += 1;
    }
    let mut ready: VecDeque<usize> = (0..count).filter(|node| indegree[*node] == 0).collect();
    let mut order = Vec::with_capacity(count);
    while let Some(node) = ready.pop_front() {
        order.push(node);
        for &next in &successors[node] {
            indegree[next] -= 1;
            if indegree[next] == 0 {
                ready.push_back(next);
            }
        }
    }
    order
}

/// What a task is, for the plan tree: its kind and what it runs.
fn kind_text(task: &Task) -> String {
    match &task.kind {
        TaskKind::Worker { name } => format!("worker {}", name.value),
        TaskKind::Http { .. } => "http".to_string(),
        TaskKind::Switch { .. } => "switch".to_string(),
        TaskKind::Parallel { .. } => "parallel".to_string(),
        TaskKind::ForEach { .. } => "for_each".to_string(),
        TaskKind::Loop { .. } => "loop".to_string(),
        TaskKind::Dynamic { .. } => "dynamic".to_string(),
        TaskKind::SubWorkflow { target } => format!("sub_workflow {}", target.name.value),
        TaskKind::StartWorkflow { target, .. } => format!("start_workflow {}", target.name.value),
        TaskKind::Wait { .. } => "wait".to_string(),
        TaskKind::Human { .. } => "human".to_string(),
        TaskKind::Inline { .. } => "inline".to_string(),
        TaskKind::Jq { .. } => "jq".to_string(),
        TaskKind::SetVariable { .. } => "set".to_string(),
        TaskKind::Terminate { .. } => "terminate".to_string(),
        TaskKind::Event { .. } => "event".to_string(),
        TaskKind::Kafka { .. } => "kafka".to_string(),
        TaskKind::Noop => "noop".to_string(),
        TaskKind::Join { .. } => "join".to_string(),
        TaskKind::ExclusiveJoin { .. } => "exclusive_join".to_string(),
        TaskKind::Raw { .. } => format!("raw {}", task.kind.conductor_type()),
        TaskKind::Invalid => "(invalid)".to_string(),
    }
}

fn quote_case(value: &str) -> String {
    format!("\"{value}\"")
}

fn pad(indent: usize) -> String {
    "  ".repeat(indent)
}

/// A duration in seconds as `1h 2m 3s`.
pub fn duration(seconds: u64) -> String {
    if seconds == 0 {
        return "0s".to_string();
    }
    let parts = [
        (seconds / 86_400, "d"),
        (seconds % 86_400 / 3_600, "h"),
        (seconds % 3_600 / 60, "m"),
        (seconds % 60, "s"),
    ];
    parts
        .iter()
        .filter(|(amount, _)| *amount > 0)
        .map(|(amount, unit)| format!("{amount}{unit}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn speedup(sequential: u64, planned: u64) -> String {
    if planned == 0 || sequential <= planned {
        return "no faster".to_string();
    }
    let ratio = sequential as f64 / planned as f64;
    format!("{ratio:.1}× faster")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_a_clock() {
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(59), "59s");
        assert_eq!(duration(3_000), "50m");
        assert_eq!(duration(3_661), "1h 1m 1s");
        assert_eq!(duration(90_000), "1d 1h");
    }

    #[test]
    fn relation_is_the_lowest_common_ancestor() {
        let shape = Plan::Sequence(vec![
            Plan::Parallel(vec![Plan::Task(0), Plan::Task(1)]),
            Plan::Task(2),
        ]);
        assert_eq!(relation(&shape, 0, 1), Some(Relation::Parallel));
        assert_eq!(relation(&shape, 0, 2), Some(Relation::Before));
        assert_eq!(relation(&shape, 2, 1), Some(Relation::After));
        assert_eq!(relation(&shape, 0, 0), None);
    }
}
