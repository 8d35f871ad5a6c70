//! Where the decider goes after a task, computed once per workflow definition.
//!
//! Conductor answers "what follows task R" with `WorkflowDef.getNextTask(R)`, which walks the
//! definition tree from the top on every call (`WorkflowTask.next`): the next task in R's list;
//! at the end of a SWITCH case or a fork branch, whatever follows the SWITCH or the FORK (for a
//! branch, that is its JOIN); at the end of a DO_WHILE body, the DO_WHILE itself (which then
//! decides whether to loop); at the end of the workflow, nothing; after a TERMINATE, nothing.
//! The same answers, for every reference at once, come from one walk that carries "what follows
//! this list" down the tree. The walk also records which DO_WHILE tasks contain each reference
//! (Conductor's `WorkflowTask.has`), which the loop logic asks on every iteration.

use std::collections::HashMap;
use std::sync::Arc;

use crate::definition::{WorkflowDef, WorkflowTask};

/// A task list still to walk: the list, what follows it, the loops enclosing it.
type Pending<'a> = (
    &'a [Arc<WorkflowTask>],
    Option<Arc<WorkflowTask>>,
    Vec<String>,
);

/// The precomputed structure of one workflow definition.
#[derive(Debug, Default)]
pub(super) struct Navigation {
    /// `getNextTask(reference)`.
    next: HashMap<String, Option<Arc<WorkflowTask>>>,
    /// The references of the DO_WHILE tasks whose body contains each reference (at any depth).
    enclosing_loops: HashMap<String, Vec<String>>,
    /// The references of the top-level tasks, in order.
    top_level: Vec<String>,
}

impl Navigation {
    pub(super) fn of(definition: &WorkflowDef) -> Navigation {
        let mut navigation = Navigation {
            top_level: definition
                .tasks
                .iter()
                .map(|task| task.task_reference_name.clone())
                .collect(),
            ..Navigation::default()
        };
        let mut stack: Vec<Pending<'_>> = vec![(&definition.tasks, None, Vec::new())];
        while let Some((list, after_list, loops)) = stack.pop() {
            for (index, task) in list.iter().enumerate() {
                let reference = &task.task_reference_name;
                let after_task = list.get(index + 1).cloned().or_else(|| after_list.clone());
                let next = if task.task_type == "TERMINATE" {
                    None
                } else {
                    after_task.clone()
                };
                navigation.next.entry(reference.clone()).or_insert(next);
                if !loops.is_empty() {
                    navigation
                        .enclosing_loops
                        .entry(reference.clone())
                        .or_insert_with(|| loops.clone());
                }
                match task.task_type.as_str() {
                    "SWITCH" | "DECISION" | "FORK_JOIN" => {
                        for child in task.children() {
                            stack.push((child, after_task.clone(), loops.clone()));
                        }
                    }
                    "DO_WHILE" => {
                        let mut inner = loops.clone();
                        inner.push(reference.clone());
                        stack.push((&task.loop_over, Some(Arc::clone(task)), inner));
                    }
                    _ => {}
                }
            }
        }
        navigation
    }

    /// The task after `reference` (`WorkflowDef.getNextTask`); `None` for a reference that is
    /// not in the definition.
    pub(super) fn next(&self, reference: &str) -> Option<&Arc<WorkflowTask>> {
        self.next.get(reference).and_then(Option::as_ref)
    }

    /// The DO_WHILE references whose body contains `reference`, outermost first.
    pub(super) fn enclosing_loops(&self, reference: &str) -> &[String] {
        self.enclosing_loops
            .get(reference)
            .map_or(&[], Vec::as_slice)
    }

    /// Whether `reference` is inside the body of the DO_WHILE `loop_reference`.
    pub(super) fn is_inside_loop(&self, reference: &str, loop_reference: &str) -> bool {
        self.enclosing_loops(reference)
            .iter()
            .any(|enclosing| enclosing == loop_reference)
    }

    pub(super) fn top_level(&self) -> &[String] {
        &self.top_level
    }
}

/// Conductor's `TaskUtils.removeIterationFromTaskRefName`: the text before the first `__`.
pub(super) fn without_iteration(reference: &str) -> &str {
    reference.split("__").next().unwrap_or(reference)
}

/// Conductor's `TaskUtils.appendIteration`.
pub(super) fn with_iteration(reference: &str, iteration: u32) -> String {
    format!("{reference}__{iteration}")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn navigation(tasks: serde_json::Value) -> Navigation {
        let definition = WorkflowDef::from_json(&json!({"name": "w", "tasks": tasks}));
        match definition {
            Ok(definition) => Navigation::of(&definition),
            Err(message) => panic!("{message}"),
        }
    }

    fn next_of(navigation: &Navigation, reference: &str) -> Option<String> {
        navigation
            .next(reference)
            .map(|task| task.task_reference_name.clone())
    }

    fn task(reference: &str) -> serde_json::Value {
        json!({"name": reference, "taskReferenceName": reference})
    }

    #[test]
    fn next_follows_conductors_get_next_task() {
        let navigation = navigation(json!([
            task("a"),
            {"name": "fork", "taskReferenceName": "fork", "type": "FORK_JOIN",
             "forkTasks": [[task("b1"), task("b2")], [
                {"name": "s", "taskReferenceName": "s", "type": "SWITCH",
                 "decisionCases": {"x": [task("c1")]}, "defaultCase": [task("c2"), task("c3")]}
             ]]},
            {"name": "join", "taskReferenceName": "join", "type": "JOIN"},
            {"name": "loop", "taskReferenceName": "loop", "type": "DO_WHILE",
             "loopOver": [task("l1"), {"name": "t", "taskReferenceName": "t", "type": "TERMINATE"}, task("l2")]},
            task("z")
        ]));
        let expected = [
            ("a", Some("fork")),
            ("fork", Some("join")),
            ("b1", Some("b2")),
            ("b2", Some("join")),
            ("s", Some("join")),
            ("c1", Some("join")),
            ("c2", Some("c3")),
            ("c3", Some("join")),
            ("join", Some("loop")),
            ("loop", Some("z")),
            ("l1", Some("t")),
            ("t", None),
            ("l2", Some("loop")),
            ("z", None),
            ("unknown", None),
        ];
        for (reference, next) in expected {
            assert_eq!(
                next_of(&navigation, reference).as_deref(),
                next,
                "after {reference}"
            );
        }
        assert!(navigation.is_inside_loop("l2", "loop"));
        assert!(!navigation.is_inside_loop("z", "loop"));
        assert_eq!(navigation.top_level(), ["a", "fork", "join", "loop", "z"]);
    }

    #[test]
    fn iteration_suffixes_follow_task_utils() {
        assert_eq!(without_iteration("a__2"), "a");
        assert_eq!(without_iteration("a"), "a");
        assert_eq!(without_iteration("__a"), "");
        assert_eq!(with_iteration("a", 3), "a__3");
    }
}
