//! The editor schemas (`schemas/*.schema.json`) against the example projects (`examples/`) and the
//! YAML snippets of the language reference (`docs/language.md`).
//!
//! yaml-language-server users get completion and errors from these schemas, not from wfc, so a
//! schema that rejects a valid workflow is a bug users see on every keystroke. Every example and
//! every snippet must validate, a set of typical mistakes must not, and the definitions shared by
//! the two schemas must stay identical (the schemas are self-contained so that editors never fetch
//! a second file).

use std::path::{Path, PathBuf};

use jsonschema::Validator;
use saphyr::{LoadableYamlNode, Scalar, Yaml};
use serde_json::{Map, Number, Value};

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the compiler crate is in the workspace")
        .to_path_buf()
}

fn load_schema(name: &str) -> Value {
    let path = repository_root().join("schemas").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{} is not JSON: {error}", path.display()))
}

fn validator(name: &str) -> Validator {
    let schema = load_schema(name);
    if let Err(error) = jsonschema::meta::validate(&schema) {
        panic!("{name} is not a valid JSON Schema: {error}");
    }
    jsonschema::draft202012::new(&schema)
        .unwrap_or_else(|error| panic!("{name} does not compile: {error}"))
}

fn workflow_schema() -> Validator {
    validator("wfc.schema.json")
}

fn workers_schema() -> Validator {
    validator("wfc-workers.schema.json")
}

/// Converts one YAML document to JSON the way yaml-language-server sees it (YAML 1.2 core schema;
/// mapping keys become strings, so the switch case `"true"` and an unquoted `true:` are the same key).
fn yaml_to_json(node: &Yaml) -> Value {
    match node {
        Yaml::Value(scalar) => scalar_to_json(scalar),
        Yaml::Representation(text, ..) => Value::String(text.to_string()),
        Yaml::Sequence(items) => Value::Array(items.iter().map(yaml_to_json).collect()),
        Yaml::Mapping(entries) => {
            let mut object = Map::new();
            for (key, value) in entries {
                let key = match yaml_to_json(key) {
                    Value::String(text) => text,
                    other => other.to_string(),
                };
                object.insert(key, yaml_to_json(value));
            }
            Value::Object(object)
        }
        Yaml::Tagged(_, inner) => yaml_to_json(inner),
        Yaml::Alias(_) | Yaml::BadValue => panic!("unsupported YAML node {node:?}"),
    }
}

fn scalar_to_json(scalar: &Scalar) -> Value {
    match scalar {
        Scalar::Null => Value::Null,
        Scalar::Boolean(flag) => Value::Bool(*flag),
        Scalar::Integer(number) => Value::Number((*number).into()),
        Scalar::FloatingPoint(number) => {
            Number::from_f64(number.into_inner()).map_or(Value::Null, Value::Number)
        }
        Scalar::String(text) => Value::String(text.to_string()),
    }
}

fn parse_yaml(text: &str, what: &str) -> Value {
    let documents = Yaml::load_from_str(text)
        .unwrap_or_else(|error| panic!("{what} is not valid YAML: {error}"));
    assert_eq!(
        documents.len(),
        1,
        "{what} must hold exactly one YAML document"
    );
    yaml_to_json(&documents[0])
}

fn errors(validator: &Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|error| format!("at `{}`: {error}", error.instance_path()))
        .collect()
}

/// Every `*.wf.yaml` and `*.workers.yaml` under `examples/`, sorted.
fn example_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![repository_root().join("examples")];
    while let Some(directory) = pending.pop() {
        let entries = std::fs::read_dir(&directory)
            .unwrap_or_else(|error| panic!("cannot list {}: {error}", directory.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or_default();
            if path.is_dir() {
                pending.push(path);
            } else if name.ends_with(".wf.yaml") || name.ends_with(".workers.yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_example_matches_its_schema() {
    let workflows = workflow_schema();
    let contracts = workers_schema();
    let files = example_files();
    let workflow_count = files
        .iter()
        .filter(|path| path.to_string_lossy().ends_with(".wf.yaml"))
        .count();
    assert!(
        workflow_count >= 6,
        "expected the example projects under examples/, found {workflow_count} workflows"
    );
    let mut failures = Vec::new();
    for path in &files {
        let relative = path
            .strip_prefix(repository_root())
            .unwrap_or(path)
            .display()
            .to_string();
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|error| panic!("cannot read {relative}: {error}"));
        let is_contract_file = relative.ends_with(".workers.yaml");
        let modeline = if is_contract_file {
            "wfc-workers.schema.json"
        } else {
            "wfc.schema.json"
        };
        if !text.lines().next().is_some_and(|line| {
            line.starts_with("# yaml-language-server: $schema=") && line.ends_with(modeline)
        }) {
            failures.push(format!("{relative}: first line must be the `# yaml-language-server: $schema=…/{modeline}` modeline"));
        }
        let instance = parse_yaml(&text, &relative);
        let validator = if is_contract_file {
            &contracts
        } else {
            &workflows
        };
        failures.extend(
            errors(validator, &instance)
                .into_iter()
                .map(|error| format!("{relative} {error}")),
        );
    }
    assert!(
        failures.is_empty(),
        "examples rejected by the schemas:\n{}",
        failures.join("\n")
    );
}

const HEADER: &str = "workflow: shop\nowner: team@example.com\n";

/// Typical mistakes the workflow schema must reject, each with a name for the failure message.
const REJECTED_WORKFLOWS: &[(&str, &str)] = &[
    (
        "misspelt workflow key",
        "timout: 1h\ntasks: {a: {noop: true}}",
    ),
    ("missing tasks", "description: nothing to do"),
    ("empty task graph", "tasks: {}"),
    ("tasks written as a list", "tasks:\n  - worker: charge"),
    (
        "two kind keys",
        "tasks:\n  a: {worker: charge, http: 'https://api.example.com'}",
    ),
    ("no kind key", "tasks:\n  a: {input: {x: 1}}"),
    (
        "Conductor JSON task",
        "tasks:\n  a: {type: SIMPLE, name: charge}",
    ),
    (
        "misspelt loop key",
        "tasks:\n  a:\n    loop: {whlie: 'true'}\n    do: {b: {noop: true}}",
    ),
    ("loop without body", "tasks:\n  a: {loop: {while: 'false'}}"),
    (
        "switch without cases",
        "tasks:\n  a: {switch: '${workflow.input.x}'}",
    ),
    (
        "switch on a literal",
        "tasks:\n  a: {switch: x, cases: {x: {b: {noop: true}}}}",
    ),
    (
        "cases without switch",
        "tasks:\n  a: {noop: true, cases: {x: {b: {noop: true}}}}",
    ),
    (
        "terminate status not a literal",
        "tasks:\n  a: {terminate: '${workflow.input.status}'}",
    ),
    (
        "terminate status in lower case",
        "tasks:\n  a: {terminate: failed}",
    ),
    (
        "optional terminate",
        "tasks:\n  a: {terminate: FAILED, optional: true}",
    ),
    (
        "returns on a worker task",
        "tasks:\n  a: {worker: charge, returns: string}",
    ),
    (
        "output on a worker task",
        "tasks:\n  a: {worker: charge, output: {id: string}}",
    ),
    (
        "for_each without a target",
        "tasks:\n  a: {for_each: '${workflow.input.items}'}",
    ),
    (
        "for_each with two targets",
        "tasks:\n  a: {for_each: '${workflow.input.items}', worker: w, sub_workflow: child}",
    ),
    (
        "duration in words",
        "timeout: 10 minutes\ntasks: {a: {noop: true}}",
    ),
    (
        "wait with duration and until",
        "tasks:\n  a: {wait: {until: '2026-01-01', duration: 1h}}",
    ),
    (
        "reference name with __",
        "tasks:\n  charge__2: {noop: true}",
    ),
    (
        "reference name with a dot",
        "tasks:\n  charge.card: {noop: true}",
    ),
    (
        "unknown field key",
        "inputs:\n  n: {type: int, defualt: 1}\ntasks: {a: {noop: true}}",
    ),
    (
        "fields without type object",
        "inputs:\n  n: {type: string, fields: {a: int}}\ntasks: {a: {noop: true}}",
    ),
    ("raw task without type", "tasks:\n  a: {raw: {name: llm}}"),
    (
        "external workflow without version",
        "tasks:\n  a: {sub_workflow: billing, external: true}",
    ),
    ("http without url", "tasks:\n  a: {http: {method: POST}}"),
    (
        "kafka without topic",
        "tasks:\n  a: {kafka: {servers: 'b:9093', value: 1}}",
    ),
    (
        "timeout policy of a worker",
        "timeout_policy: retry\ntasks: {a: {noop: true}}",
    ),
    (
        "negative retries",
        "tasks:\n  a: {worker: charge, retries: -1}",
    ),
    ("version zero", "version: 0\ntasks: {a: {noop: true}}"),
];

#[test]
fn typical_workflow_mistakes_are_rejected() {
    let validator = workflow_schema();
    let mut accepted = Vec::new();
    for (name, body) in REJECTED_WORKFLOWS {
        let instance = parse_yaml(&format!("{HEADER}{body}\n"), name);
        if validator.is_valid(&instance) {
            accepted.push(*name);
        }
    }
    let missing_owner = parse_yaml(
        "workflow: shop\ntasks: {a: {noop: true}}\n",
        "missing owner",
    );
    if validator.is_valid(&missing_owner) {
        accepted.push("missing owner");
    }
    assert!(
        accepted.is_empty(),
        "the workflow schema accepts: {}",
        accepted.join(", ")
    );
}

#[test]
fn typical_contract_mistakes_are_rejected() {
    let validator = workers_schema();
    let cases: &[(&str, &str)] = &[
        ("workflow in a contract file", "workflow: shop\nworkers: {}"),
        ("neither workers nor types", "description: nothing"),
        ("misspelt worker key", "workers:\n  charge:\n    retries: 3"),
        (
            "unknown retry logic",
            "workers:\n  charge:\n    retry: {count: 3, logic: exponentail}",
        ),
        (
            "owner is not an email",
            "workers:\n  charge: {owner: payments}",
        ),
        ("built-in type name redeclared", "types:\n  string: int"),
        (
            "worker name with a slash",
            "workers:\n  payments/charge: {}",
        ),
        (
            "rate limit without count",
            "workers:\n  charge: {rate_limit: {per: 1m}}",
        ),
    ];
    let accepted: Vec<&str> = cases
        .iter()
        .filter(|(name, text)| validator.is_valid(&parse_yaml(text, name)))
        .map(|(name, _)| *name)
        .collect();
    assert!(
        accepted.is_empty(),
        "the contract schema accepts: {}",
        accepted.join(", ")
    );
}

/// The forms the language accepts besides the ones the examples use.
#[test]
fn alternative_spellings_are_accepted() {
    let validator = workflow_schema();
    let body = r#"
version: 2
status_listener: false
imports: shop.workers.yaml
types:
  Blob: object
  Ids: "[string]"
inputs:
  count: integer
  flag?: boolean
  target: { type: object, fields: { type: string } }
  legacy: { type: "string?", deprecated: true }
workers:
  charge: { retry: 3, input: any, output: { id: string } }
outputs:
  plain: ${a.output.id}
  literal: { a: 1, b: [1, 2] }
  declared: { value: "${a.output.id}", type: string, description: the charge }
tasks:
  a: { worker: charge }
  b: { wait: { duration: 10m }, after: a }
  c: { wait: }
  d: { human: {} }
  e: { noop: }
  f: { http: { uri: "https://api.example.com", method: "${workflow.input.method}" } }
  g:
    switch: { javascript: "$.x ? 'yes' : 'no'" }
    cases: { "yes": { g1: { noop: true } } }
  h: { wait: "${workflow.input.delay}" }
  i: { wait: 90 }
  j: { wait: { until: "2026-01-01 10:00 UTC" } }
  k: { sub_workflow: billing, external: true, version: 3, output: { invoice: string } }
  l: { raw: { type: HTTP, inputParameters: {} }, output: any }
  m: { exclusive_join: a, default_join: b, output: any }
  n: { kafka: { servers: "broker:9093", topic: orders, value: 1, key_serializer: long }, async_complete: true }
  o: { event: conductor }
  p: { for_each: "${a.output.ids}", sub_workflow: ./child.wf.yaml, version: 2 }
  q: { terminate: COMPLETED, optional: false, result: { done: true } }
  r: { worker: charge, raw: { taskDefinition: { name: charge } }, compensate: { noop: true } }
"#;
    let instance = parse_yaml(&format!("{HEADER}{body}"), "alternative spellings");
    let problems = errors(&validator, &instance);
    assert!(
        problems.is_empty(),
        "alternative spellings rejected:\n{}",
        problems.join("\n")
    );
}

#[test]
fn shared_definitions_are_identical() {
    let workflows = load_schema("wfc.schema.json");
    let contracts = load_schema("wfc-workers.schema.json");
    let contract_definitions = contracts["$defs"]
        .as_object()
        .expect("$defs in wfc-workers.schema.json");
    assert!(
        contract_definitions.contains_key("worker") && contract_definitions.contains_key("type")
    );
    for (name, definition) in contract_definitions {
        assert_eq!(
            Some(definition),
            workflows["$defs"].get(name),
            "`$defs/{name}` differs between wfc-workers.schema.json and wfc.schema.json"
        );
    }
    assert_eq!(
        workflows["properties"]["workers"],
        contracts["properties"]["workers"]
    );
    assert_eq!(
        workflows["properties"]["types"],
        contracts["properties"]["types"]
    );
}

/// The ```yaml blocks of a Markdown file.
fn yaml_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        let fence = line.trim_start();
        if let Some(block) = current.as_mut() {
            if fence == "```" {
                blocks.push(current.take().unwrap_or_default());
            } else {
                block.push_str(line);
                block.push('\n');
            }
        } else if fence == "```yaml" {
            current = Some(String::new());
        }
    }
    blocks
}

/// Every YAML snippet of the reference, completed into a file where it is only a part: a mapping
/// of workflow keys gets a minimal workflow around it, any other mapping is a task list.
#[test]
fn every_snippet_of_the_language_reference_matches() {
    let path = repository_root().join("docs").join("language.md");
    let markdown = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let workflows = workflow_schema();
    let contracts = workers_schema();
    let workflow_keys: Vec<String> = load_schema("wfc.schema.json")["properties"]
        .as_object()
        .expect("workflow properties")
        .keys()
        .cloned()
        .collect();
    let blocks = yaml_blocks(&markdown);
    assert!(
        blocks.len() >= 20,
        "expected the snippets of docs/language.md, found {}",
        blocks.len()
    );
    let mut failures = Vec::new();
    for (index, block) in blocks.iter().enumerate() {
        // The modeline snippets show the first lines of a file only.
        if block.contains("yaml-language-server:") {
            continue;
        }
        let what = format!("snippet {} of docs/language.md", index + 1);
        let document = parse_yaml(block, &what);
        let Some(object) = document.as_object() else {
            failures.push(format!("{what} is not a mapping"));
            continue;
        };
        let (validator, instance) = if object.contains_key("workflow") {
            (&workflows, document.clone())
        } else if object
            .keys()
            .all(|key| matches!(key.as_str(), "workers" | "types" | "description"))
        {
            (&contracts, document.clone())
        } else if object.keys().all(|key| workflow_keys.contains(key)) {
            let mut completed = serde_json::json!({"workflow": "snippet", "owner": "team@example.com", "tasks": {"t": {"noop": true}}});
            for (key, value) in object {
                completed[key] = value.clone();
            }
            (&workflows, completed)
        } else {
            (
                &workflows,
                serde_json::json!({"workflow": "snippet", "owner": "team@example.com", "tasks": document}),
            )
        };
        let first_line = block.lines().next().unwrap_or_default();
        failures.extend(
            errors(validator, &instance)
                .into_iter()
                .map(|error| format!("{what} (`{first_line}`) {error}")),
        );
    }
    assert!(
        failures.is_empty(),
        "snippets rejected by the schemas:\n{}",
        failures.join("\n")
    );
}
