//! What changes when a definition replaces the one a server has: the field-level [`diff`] that
//! `wfc deploy --dry-run` shows, and the [`contract_breaks`] that make a new definition unsafe
//! for the callers of the deployed one.
//!
//! Both work on the comparable forms of [`crate::normalize`], so server defaults and audit fields
//! never show up as changes. Task lists are compared by reference name, not by position, so
//! inserting a task shows one added task rather than every later task changed.
//!
//! # Contracts
//!
//! wfc emits the inputs and outputs of a workflow or worker as JSON Schemas in `inputSchema` and
//! `outputSchema` (`compiler/src/emit.rs`). A new definition breaks the deployed one's contract
//! when a caller written against the deployed one can fail with the new one:
//!
//! - an output field is removed, or may now be absent (it was required);
//! - an output field's type is wider (the reader gets values it did not expect);
//! - a required input is added, or an optional input becomes required;
//! - an input field's type is narrower (a value the caller sends is no longer accepted).
//!
//! Types are compared structurally (`$ref`s resolved, nullable unions, enums, integer within
//! number, objects field by field). Where the schemas say too little to decide, no break is
//! reported: the list is of certain breaks.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value};

/// How a value at one path differs.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Added(Value),
    Removed(Value),
    Changed { old: Value, new: Value },
}

/// One difference between two definitions.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// `tasks[charge].inputParameters.amount`: object keys joined with `.`, tasks of task lists by
    /// their reference name, other list items by index.
    pub path: String,
    pub change: Change,
}

/// The longest rendering of one value in a diff line.
const MAXIMUM_VALUE_WIDTH: usize = 100;

impl fmt::Display for Difference {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.change {
            Change::Added(value) => write!(formatter, "+ {}: {}", self.path, short(value)),
            Change::Removed(value) => write!(formatter, "- {}: {}", self.path, short(value)),
            Change::Changed { old, new } => {
                write!(
                    formatter,
                    "~ {}: {} → {}",
                    self.path,
                    short(old),
                    short(new)
                )
            }
        }
    }
}

/// Compact JSON, cut to [`MAXIMUM_VALUE_WIDTH`] characters.
fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= MAXIMUM_VALUE_WIDTH {
        return text;
    }
    let cut: String = text.chars().take(MAXIMUM_VALUE_WIDTH - 1).collect();
    format!("{cut}…")
}

/// The differences from `old` to `new` (both comparable forms), in document order.
pub fn diff(old: &Value, new: &Value) -> Vec<Difference> {
    let mut differences = Vec::new();
    compare(String::new(), old, new, &mut differences);
    differences
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn compare(path: String, old: &Value, new: &Value, differences: &mut Vec<Difference>) {
    if old == new {
        return;
    }
    match (old, new) {
        (Value::Object(old), Value::Object(new)) => {
            for (key, old_value) in old {
                match new.get(key) {
                    Some(new_value) => compare(join(&path, key), old_value, new_value, differences),
                    None => differences.push(Difference {
                        path: join(&path, key),
                        change: Change::Removed(old_value.clone()),
                    }),
                }
            }
            for (key, new_value) in new {
                if !old.contains_key(key) {
                    differences.push(Difference {
                        path: join(&path, key),
                        change: Change::Added(new_value.clone()),
                    });
                }
            }
        }
        (Value::Array(old), Value::Array(new)) => match (references(old), references(new)) {
            (Some(old_refs), Some(new_refs)) => {
                for (reference, old_task) in &old_refs {
                    let item = format!("{path}[{reference}]");
                    match new_refs
                        .iter()
                        .find(|(candidate, _)| candidate == reference)
                    {
                        Some((_, new_task)) => compare(item, old_task, new_task, differences),
                        None => differences.push(Difference {
                            path: item,
                            change: Change::Removed((*old_task).clone()),
                        }),
                    }
                }
                for (reference, new_task) in &new_refs {
                    if !old_refs.iter().any(|(candidate, _)| candidate == reference) {
                        differences.push(Difference {
                            path: format!("{path}[{reference}]"),
                            change: Change::Added((*new_task).clone()),
                        });
                    }
                }
                let old_order: Vec<&str> = old_refs.iter().map(|(name, _)| *name).collect();
                let new_order: Vec<&str> = new_refs.iter().map(|(name, _)| *name).collect();
                let kept_old: Vec<&str> = old_order
                    .iter()
                    .copied()
                    .filter(|name| new_order.contains(name))
                    .collect();
                let kept_new: Vec<&str> = new_order
                    .iter()
                    .copied()
                    .filter(|name| old_order.contains(name))
                    .collect();
                if kept_old != kept_new {
                    differences.push(Difference {
                        path: format!("{path}[order]"),
                        change: Change::Changed {
                            old: Value::from(old_order),
                            new: Value::from(new_order),
                        },
                    });
                }
            }
            _ if old.iter().chain(new).all(is_scalar) => {
                // Lists of names (`required`, `inputKeys`, `joinOn`): items removed and added,
                // not every shifted position.
                let removed: Vec<&Value> = old.iter().filter(|item| !new.contains(item)).collect();
                let added: Vec<&Value> = new.iter().filter(|item| !old.contains(item)).collect();
                for item in &removed {
                    differences.push(Difference {
                        path: format!("{path}[]"),
                        change: Change::Removed((*item).clone()),
                    });
                }
                for item in &added {
                    differences.push(Difference {
                        path: format!("{path}[]"),
                        change: Change::Added((*item).clone()),
                    });
                }
                if removed.is_empty() && added.is_empty() {
                    differences.push(Difference {
                        path,
                        change: Change::Changed {
                            old: Value::Array(old.clone()),
                            new: Value::Array(new.clone()),
                        },
                    });
                }
            }
            _ => {
                for index in 0..old.len().max(new.len()) {
                    let item = format!("{path}[{index}]");
                    match (old.get(index), new.get(index)) {
                        (Some(old), Some(new)) => compare(item, old, new, differences),
                        (Some(old), None) => differences.push(Difference {
                            path: item,
                            change: Change::Removed(old.clone()),
                        }),
                        (None, Some(new)) => differences.push(Difference {
                            path: item,
                            change: Change::Added(new.clone()),
                        }),
                        (None, None) => {}
                    }
                }
            }
        },
        _ => differences.push(Difference {
            path,
            change: Change::Changed {
                old: old.clone(),
                new: new.clone(),
            },
        }),
    }
}

fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
}

/// The items of a task list by reference name, when every item is a task with a distinct one.
fn references(items: &[Value]) -> Option<Vec<(&str, &Value)>> {
    let mut seen = BTreeSet::new();
    let mut found = Vec::with_capacity(items.len());
    for item in items {
        let reference = item.get("taskReferenceName")?.as_str()?;
        if !seen.insert(reference) {
            return None;
        }
        found.push((reference, item));
    }
    (!found.is_empty()).then_some(found)
}

// ----- contracts ------------------------------------------------------------------------------

/// Why a new definition breaks the contract of the deployed one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ContractBreak {
    RemovedOutput {
        field: String,
    },
    OutputMayBeAbsent {
        field: String,
    },
    WiderOutput {
        field: String,
        old: String,
        new: String,
    },
    NewRequiredInput {
        field: String,
    },
    InputBecameRequired {
        field: String,
    },
    NarrowerInput {
        field: String,
        old: String,
        new: String,
    },
}

impl fmt::Display for ContractBreak {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContractBreak::RemovedOutput { field } => {
                write!(
                    formatter,
                    "removes output field `{field}` (readers get null)"
                )
            }
            ContractBreak::OutputMayBeAbsent { field } => write!(
                formatter,
                "output field `{field}` becomes optional (readers may get null)"
            ),
            ContractBreak::WiderOutput { field, old, new } if old == new => write!(
                formatter,
                "output field `{field}` of type {old} widens (readers get values they do not expect)"
            ),
            ContractBreak::WiderOutput { field, old, new } => write!(
                formatter,
                "output field `{field}` widens from {old} to {new} (readers get values they do not expect)"
            ),
            ContractBreak::NewRequiredInput { field } => write!(
                formatter,
                "adds required input `{field}` (callers do not send it)"
            ),
            ContractBreak::InputBecameRequired { field } => write!(
                formatter,
                "input `{field}` becomes required (callers may not send it)"
            ),
            ContractBreak::NarrowerInput { field, old, new } if old == new => write!(
                formatter,
                "input `{field}` of type {old} narrows (values callers send may be refused)"
            ),
            ContractBreak::NarrowerInput { field, old, new } => write!(
                formatter,
                "input `{field}` narrows from {old} to {new} (values callers send may be refused)"
            ),
        }
    }
}

/// The ways `new` breaks the contract of `deployed` (WorkflowDefs or TaskDefs with wfc's
/// `inputSchema`/`outputSchema`), sorted. Definitions without schemas have no contract to break.
pub fn contract_breaks(deployed: &Value, new: &Value) -> Vec<ContractBreak> {
    let mut breaks = Vec::new();
    if let (Some(old), Some(new)) = (
        schema(deployed, "outputSchema"),
        schema(new, "outputSchema"),
    ) {
        for (field, old_type) in &old.properties {
            match new.properties.iter().find(|(name, _)| name == field) {
                None => breaks.push(ContractBreak::RemovedOutput {
                    field: field.clone(),
                }),
                Some((_, new_type)) => {
                    if old.required.contains(field) && !new.required.contains(field) {
                        breaks.push(ContractBreak::OutputMayBeAbsent {
                            field: field.clone(),
                        });
                    }
                    if subtype(&new.at(new_type), &old.at(old_type), 0) == Some(false) {
                        breaks.push(ContractBreak::WiderOutput {
                            field: field.clone(),
                            old: describe(&old.at(old_type), 0),
                            new: describe(&new.at(new_type), 0),
                        });
                    }
                }
            }
        }
    }
    let old_inputs = schema(deployed, "inputSchema");
    if let Some(new) = schema(new, "inputSchema") {
        for (field, new_type) in &new.properties {
            let old_field = old_inputs.as_ref().and_then(|old| {
                old.properties
                    .iter()
                    .find(|(name, _)| name == field)
                    .map(|(_, old_type)| (old, old_type))
            });
            match old_field {
                None => {
                    if new.required.contains(field) {
                        breaks.push(ContractBreak::NewRequiredInput {
                            field: field.clone(),
                        });
                    }
                }
                Some((old, old_type)) => {
                    if new.required.contains(field) && !old.required.contains(field) {
                        breaks.push(ContractBreak::InputBecameRequired {
                            field: field.clone(),
                        });
                    }
                    if subtype(&old.at(old_type), &new.at(new_type), 0) == Some(false) {
                        breaks.push(ContractBreak::NarrowerInput {
                            field: field.clone(),
                            old: describe(&old.at(old_type), 0),
                            new: describe(&new.at(new_type), 0),
                        });
                    }
                }
            }
        }
    }
    breaks.sort();
    breaks
}

/// The top-level object schema of a definition's `inputSchema`/`outputSchema`.
struct ObjectSchema<'a> {
    properties: Vec<(String, &'a Value)>,
    required: BTreeSet<String>,
    definitions: Option<&'a Map<String, Value>>,
}

impl<'a> ObjectSchema<'a> {
    /// A schema together with the `$defs` its `$ref`s point into.
    fn at(&self, schema: &'a Value) -> Located<'a> {
        Located {
            schema,
            definitions: self.definitions,
        }
    }
}

fn schema<'a>(definition: &'a Value, key: &str) -> Option<ObjectSchema<'a>> {
    let data = definition.get(key)?.get("data")?;
    let properties = data
        .get("properties")
        .and_then(Value::as_object)
        .map(|properties| {
            properties
                .iter()
                .map(|(name, schema)| (name.clone(), schema))
                .collect()
        })
        .unwrap_or_default();
    let required = data
        .get("required")
        .and_then(Value::as_array)
        .map(|names| {
            names
                .iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    Some(ObjectSchema {
        properties,
        required,
        definitions: data.get("$defs").and_then(Value::as_object),
    })
}

/// A schema and the `$defs` of the document it is in.
#[derive(Clone, Copy)]
struct Located<'a> {
    schema: &'a Value,
    definitions: Option<&'a Map<String, Value>>,
}

/// How deep type comparison follows `$ref`s and nesting before it stops deciding.
const MAXIMUM_TYPE_DEPTH: usize = 16;

impl<'a> Located<'a> {
    fn with(self, schema: &'a Value) -> Located<'a> {
        Located {
            schema,
            definitions: self.definitions,
        }
    }

    /// The schema with `$ref`s resolved (to `None` when the reference is dangling).
    fn resolved(self, depth: usize) -> Option<Located<'a>> {
        let mut current = self;
        for _ in depth..MAXIMUM_TYPE_DEPTH {
            let Some(reference) = current.schema.get("$ref").and_then(Value::as_str) else {
                return Some(current);
            };
            let name = reference.strip_prefix("#/$defs/")?;
            current = current.with(self.definitions?.get(name)?);
        }
        None
    }

    /// The union members of an `anyOf`, or of a `type` list (`["string", "null"]`).
    fn members(self) -> Option<Vec<Located<'a>>> {
        if let Some(Value::Array(options)) = self.schema.get("anyOf") {
            return Some(options.iter().map(|option| self.with(option)).collect());
        }
        None
    }

    fn types(self) -> Option<BTreeSet<&'a str>> {
        match self.schema.get("type")? {
            Value::String(single) => Some(BTreeSet::from([single.as_str()])),
            Value::Array(many) => Some(many.iter().filter_map(Value::as_str).collect()),
            _ => None,
        }
    }

    /// `{}`: any value.
    fn is_any(self) -> bool {
        self.schema.as_object().is_some_and(|object| {
            object
                .keys()
                .all(|key| matches!(key.as_str(), "description" | "default" | "deprecated"))
        })
    }
}

/// Whether every value of `small` is a value of `large`; `None` when the schemas say too little.
fn subtype(small: &Located, large: &Located, depth: usize) -> Option<bool> {
    if depth > MAXIMUM_TYPE_DEPTH {
        return None;
    }
    let small = small.resolved(depth)?;
    let large = large.resolved(depth)?;
    if large.is_any() {
        return Some(true);
    }
    if small.is_any() {
        return Some(false);
    }
    if let Some(members) = small.members() {
        let mut all = Some(true);
        for member in members {
            match subtype(&member, &large, depth + 1) {
                Some(true) => {}
                Some(false) => return Some(false),
                None => all = None,
            }
        }
        return all;
    }
    if let Some(members) = large.members() {
        let mut undecided = false;
        for member in members {
            match subtype(&small, &member, depth + 1) {
                Some(true) => return Some(true),
                Some(false) => {}
                None => undecided = true,
            }
        }
        return if undecided { None } else { Some(false) };
    }
    let small_types = small.types()?;
    let large_types = large.types()?;
    for kind in &small_types {
        let fits =
            large_types.contains(kind) || (*kind == "integer" && large_types.contains("number"));
        if !fits {
            return Some(false);
        }
    }
    // Enums: the values of `small` (or every string, without an enum) must be allowed.
    if let Some(Value::Array(large_values)) = large.schema.get("enum") {
        match small.schema.get("enum") {
            Some(Value::Array(small_values)) => {
                if small_values
                    .iter()
                    .any(|value| !large_values.contains(value))
                {
                    return Some(false);
                }
            }
            _ => {
                if small_types.iter().any(|kind| *kind != "null") {
                    return Some(false);
                }
            }
        }
    }
    if small_types.contains("array") {
        if let (Some(small_items), Some(large_items)) =
            (small.schema.get("items"), large.schema.get("items"))
        {
            return subtype(
                &small.with(small_items),
                &large.with(large_items),
                depth + 1,
            );
        }
        return None;
    }
    if small_types.contains("object") {
        return object_subtype(&small, &large, depth);
    }
    Some(true)
}

/// Objects: every field `large` requires is required by `small` with a fitting type; every field
/// both declare fits; map values fit.
fn object_subtype(small: &Located, large: &Located, depth: usize) -> Option<bool> {
    let empty = Map::new();
    let small_required = required_fields(small);
    for name in required_fields(large) {
        if !small_required.contains(&name) {
            return Some(false);
        }
    }
    let small_properties = properties(small).unwrap_or(&empty);
    let mut decided = Some(true);
    for (name, large_field) in properties(large).unwrap_or(&empty) {
        if let Some(small_field) = small_properties.get(name) {
            match subtype(
                &small.with(small_field),
                &large.with(large_field),
                depth + 1,
            ) {
                Some(true) => {}
                Some(false) => return Some(false),
                None => decided = None,
            }
        }
    }
    if let (Some(small_values), Some(large_values)) = (
        small.schema.get("additionalProperties"),
        large.schema.get("additionalProperties"),
    ) {
        match subtype(
            &small.with(small_values),
            &large.with(large_values),
            depth + 1,
        ) {
            Some(false) => return Some(false),
            None => decided = None,
            Some(true) => {}
        }
    }
    decided
}

fn properties<'a>(located: &Located<'a>) -> Option<&'a Map<String, Value>> {
    located.schema.get("properties").and_then(Value::as_object)
}

fn required_fields(located: &Located) -> BTreeSet<String> {
    located
        .schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| {
            names
                .iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// A type in wfc's words (`string`, `int?`, `list<number>`, `"a" | "b"`, `Address`).
fn describe(located: &Located, depth: usize) -> String {
    if depth > MAXIMUM_TYPE_DEPTH {
        return "…".to_string();
    }
    if let Some(reference) = located.schema.get("$ref").and_then(Value::as_str) {
        return reference
            .strip_prefix("#/$defs/")
            .unwrap_or(reference)
            .to_string();
    }
    if located.is_any() {
        return "any".to_string();
    }
    if let Some(members) = located.members() {
        let non_null: Vec<String> = members
            .iter()
            .filter(|member| member.schema.get("type").and_then(Value::as_str) != Some("null"))
            .map(|member| describe(member, depth + 1))
            .collect();
        if non_null.len() == 1 && members.len() == 2 {
            return format!("{}?", non_null.join(""));
        }
        return members
            .iter()
            .map(|member| describe(member, depth + 1))
            .collect::<Vec<_>>()
            .join(" | ");
    }
    let Some(types) = located.types() else {
        return "?".to_string();
    };
    let nullable = types.contains("null") && types.len() > 1;
    let mut names: Vec<String> = Vec::new();
    if let Some(Value::Array(values)) = located.schema.get("enum") {
        names.extend(
            values
                .iter()
                .filter(|value| !value.is_null())
                .map(Value::to_string),
        );
    } else {
        for kind in types
            .iter()
            .filter(|kind| **kind != "null" || types.len() == 1)
        {
            names.push(match *kind {
                "integer" => "int".to_string(),
                "boolean" => "bool".to_string(),
                "array" => match located.schema.get("items") {
                    Some(items) => format!("list<{}>", describe(&located.with(items), depth + 1)),
                    None => "list".to_string(),
                },
                "object" => match located.schema.get("additionalProperties") {
                    Some(values) if located.schema.get("properties").is_none() => {
                        format!("map<{}>", describe(&located.with(values), depth + 1))
                    }
                    _ => "object".to_string(),
                },
                other => other.to_string(),
            });
        }
    }
    let joined = names.join(" | ");
    if nullable {
        if names.len() > 1 {
            format!("({joined})?")
        } else {
            format!("{joined}?")
        }
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with_schemas(inputs: Value, outputs: Value) -> Value {
        json!({
            "name": "flow",
            "inputSchema": {"name": "flow_input", "type": "JSON", "data": inputs},
            "outputSchema": {"name": "flow_output", "type": "JSON", "data": outputs},
        })
    }

    fn rendered(differences: &[Difference]) -> Vec<String> {
        differences.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn tasks_are_matched_by_reference_name() {
        let old = json!({"tasks": [
            {"name": "a", "taskReferenceName": "a", "inputParameters": {"x": 1}},
            {"name": "b", "taskReferenceName": "b"}
        ]});
        let new = json!({"tasks": [
            {"name": "a", "taskReferenceName": "a", "inputParameters": {"x": 2}},
            {"name": "c", "taskReferenceName": "c"},
            {"name": "b", "taskReferenceName": "b"}
        ]});
        assert_eq!(
            rendered(&diff(&old, &new)),
            vec![
                "~ tasks[a].inputParameters.x: 1 → 2",
                "+ tasks[c]: {\"name\":\"c\",\"taskReferenceName\":\"c\"}",
            ]
        );
        let reordered = json!({"tasks": [
            {"name": "b", "taskReferenceName": "b"},
            {"name": "a", "taskReferenceName": "a", "inputParameters": {"x": 1}}
        ]});
        assert_eq!(
            rendered(&diff(&old, &reordered)),
            vec!["~ tasks[order]: [\"a\",\"b\"] → [\"b\",\"a\"]"]
        );
        assert_eq!(diff(&old, &old), Vec::new());
        assert_eq!(
            rendered(&diff(
                &json!({"required": ["a", "b", "c"], "joinOn": ["x", "y"]}),
                &json!({"required": ["a", "c", "d"], "joinOn": ["y", "x"]})
            )),
            vec![
                "- required[]: \"b\"",
                "+ required[]: \"d\"",
                "~ joinOn: [\"x\",\"y\"] → [\"y\",\"x\"]",
            ]
        );
    }

    #[test]
    fn removed_and_weakened_outputs_break_readers() {
        let old = with_schemas(
            json!({"type": "object", "properties": {}}),
            json!({"type": "object",
                   "properties": {"receipt": {"type": "string"}, "total": {"type": "integer"},
                                  "status": {"type": "string", "enum": ["ok", "late"]}},
                   "required": ["receipt", "total", "status"]}),
        );
        let new = with_schemas(
            json!({"type": "object", "properties": {}}),
            json!({"type": "object",
                   "properties": {"total": {"type": "number"},
                                  "status": {"type": "string", "enum": ["ok"]}},
                   "required": ["total"]}),
        );
        assert_eq!(
            contract_breaks(&old, &new)
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            vec![
                "removes output field `receipt` (readers get null)",
                "output field `status` becomes optional (readers may get null)",
                "output field `total` widens from int to number (readers get values they do not expect)",
            ]
        );
    }

    #[test]
    fn new_required_and_narrowed_inputs_break_callers() {
        let old = with_schemas(
            json!({"type": "object",
                   "properties": {"amount": {"type": "number"}, "note": {"type": ["string", "null"]},
                                  "address": {"$ref": "#/$defs/Address"}},
                   "required": ["amount", "address"],
                   "$defs": {"Address": {"type": "object",
                                         "properties": {"city": {"type": "string"}},
                                         "required": ["city"]}}}),
            json!({"type": "object", "properties": {}}),
        );
        let new = with_schemas(
            json!({"type": "object",
                   "properties": {"amount": {"type": "integer"}, "note": {"type": "string"},
                                  "currency": {"type": "string"},
                                  "address": {"$ref": "#/$defs/Address"}},
                   "required": ["amount", "note", "currency", "address"],
                   "$defs": {"Address": {"type": "object",
                                         "properties": {"city": {"type": "string"},
                                                        "zip": {"type": "string"}},
                                         "required": ["city", "zip"]}}}),
            json!({"type": "object", "properties": {}}),
        );
        assert_eq!(
            contract_breaks(&old, &new)
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            vec![
                "adds required input `currency` (callers do not send it)",
                "input `note` becomes required (callers may not send it)",
                "input `address` of type Address narrows (values callers send may be refused)",
                "input `amount` narrows from number to int (values callers send may be refused)",
                "input `note` narrows from string? to string (values callers send may be refused)",
            ]
        );
    }

    #[test]
    fn compatible_changes_are_not_breaks() {
        let old = with_schemas(
            json!({"type": "object", "properties": {"amount": {"type": "integer"}},
                   "required": ["amount"]}),
            json!({"type": "object", "properties": {"total": {"type": ["number", "null"]}}}),
        );
        let new = with_schemas(
            json!({"type": "object",
                   "properties": {"amount": {"type": "number"}, "memo": {"type": "string"}},
                   "required": []}),
            json!({"type": "object",
                   "properties": {"total": {"type": "integer"}, "extra": {"type": "string"}},
                   "required": ["total"]}),
        );
        assert_eq!(contract_breaks(&old, &new), Vec::new());
        assert_eq!(contract_breaks(&json!({"name": "x"}), &new), Vec::new());
    }
}
