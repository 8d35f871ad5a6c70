//! `${...}` resolution exactly as Conductor does it (FORMAT.md §D.1–D.5), so that a dry run
//! computes the task inputs a real server would.
//!
//! Mirrors `ParametersUtils.replace` / `replaceVariables` / `substituteSecrets` of conductor-oss
//! (`core/src/main/java/com/netflix/conductor/core/utils/ParametersUtils.java`), `EnvUtils`
//! (`common/…/common/utils/EnvUtils.java`) and the default environment and secrets stores
//! (`core/…/core/env/EnvVariableEnvironmentDAO.java`, `core/…/core/secrets/
//! EnvVariableSecretsDAO.java`). The behaviour, case by case:
//!
//! * **Recursion.** Maps and lists are resolved element by element; strings are templates; other
//!   values are copied. Keys are never resolved.
//! * **Finding expressions.** Conductor's balanced-brace regular expression, emulated exactly
//!   (`template`), including how it treats unbalanced braces. A `${` right after a `$` is not an
//!   expression.
//! * **Nested expressions** are resolved inner-first and pasted into the outer path as text
//!   (`${workflow.input.${workflow.input.key}}`). Nesting deeper than [`MAXIMUM_NESTING`] is not
//!   resolved further (Conductor recurses until its stack overflows).
//! * **Typing.** A string that is exactly one expression becomes the raw value (number, boolean,
//!   map, list, `null`). Otherwise each expression is replaced by Java's `Objects.toString`:
//!   `null` → `null`, maps `{a=1, b=x}`, lists `[1, x]`, doubles as `Double.toString` (`2.0`,
//!   `1.0E10`), and the lists of indefinite paths as json-smart JSON (`["a","b"]`) — see `java`.
//! * **Escapes.** After substitution every `$${` of the resulting string becomes `${` (also inside
//!   substituted values, as in Conductor); a whole-string expression is returned raw.
//! * **Paths** are Jayway JsonPath 2.4.0 with suppressed exceptions, ported in `jsonpath`: a path
//!   without `$` is read from the root, missing values are `null`, indefinite paths give lists,
//!   invalid paths give `null`. `${}` and `${   }` give the empty string.
//! * **Special names**, checked before JsonPath, in Conductor's order:
//!   - `workflow.secrets.NAME[.path]` stays literally in the input, like Conductor, and is
//!     replaced only when the task is handed to a worker or executed: the engine calls
//!     [`substitute_secrets`], which reads the environment variable `CONDUCTOR_SECRET_NAME` (the
//!     default `EnvVariableSecretsDAO`), parses it as JSON when a path follows, and gives `null`
//!     (or the empty string inside a larger string) when it is not set.
//!   - `workflow.env.NAME[.path]` reads the environment variable `CONDUCTOR_ENV_NAME` (the default
//!     `EnvVariableEnvironmentDAO`) at resolution time; `null` when not set.
//!   - A bare name: `CPEWF_TASK_ID` is the current task's id; `NETFLIX_ENV`, `NETFLIX_STACK` and
//!     any other name that is set as an environment variable resolve to that variable, as on a
//!     Conductor server — here the variables of the `wfc run` process. When the task id or the
//!     variable is missing, the expression is left in the text unchanged, as Conductor does. Java
//!     system properties (`${user.name}` on a server) have no local counterpart and are not
//!     consulted.
//!
//! Deliberately not reproduced: JVM system properties as bare names; the in-place mutation of the
//! document by Jayway's `append()`; `=~` in filters (Java regular expressions; always false
//! here); Unicode digits other than `0-9` in array indexes; Conductor's stack overflow on absurdly
//! deep nesting or on a few malformed bracket paths (here: not resolved further / `null`).

mod java;
mod jsonpath;
mod template;

use serde_json::{Map, Value};

use self::jsonpath::PathValue;

/// Nested `${...}` expressions deeper than this are left as text.
pub const MAXIMUM_NESTING: usize = 64;
/// The prefix of the environment variables that `${workflow.env.NAME}` reads.
pub const ENVIRONMENT_VARIABLE_PREFIX: &str = "CONDUCTOR_ENV_";
/// The prefix of the environment variables that `${workflow.secrets.NAME}` reads.
pub const SECRET_VARIABLE_PREFIX: &str = "CONDUCTOR_SECRET_";

const SECRETS_PATH_PREFIX: &str = "workflow.secrets.";
const ENVIRONMENT_PATH_PREFIX: &str = "workflow.env.";
const SYSTEM_PARAMETERS: [&str; 3] = ["CPEWF_TASK_ID", "NETFLIX_ENV", "NETFLIX_STACK"];

/// What an expression is resolved against.
#[derive(Debug, Clone, Copy)]
pub struct ResolutionContext<'a> {
    /// `{"workflow": {...}, "<ref>": {...}, ...}` as FORMAT.md §D.2 describes it.
    pub document: &'a Value,
    /// The id of the task whose input is resolved, for `${CPEWF_TASK_ID}`.
    pub current_task_id: Option<&'a str>,
}

/// Java's `Objects.toString` of a JSON value as Conductor holds it (`{a=1, b=x}`, `[1, 2]`,
/// `2.0`), for other places where Conductor turns a value into text.
pub(crate) fn java_to_string(value: &Value) -> String {
    java::to_java_string(value)
}

/// Reads an environment variable by its full name; `None` when it is not set.
pub type EnvironmentLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The variables of this process.
pub fn process_environment(name: &str) -> Option<String> {
    if name.is_empty() || name.contains(['=', '\0']) {
        return None;
    }
    std::env::var(name).ok()
}

/// Resolves a template (any JSON: maps and lists recursively, strings with `${...}`) against the
/// expression document of §D.2. Never fails: a missing path gives null.
pub fn resolve(template: &Value, context: &ResolutionContext) -> Value {
    resolve_with_environment(template, context, &process_environment)
}

/// [`resolve`] for a map (a task's `inputParameters`, a workflow's `outputParameters`).
pub fn resolve_map(
    template: &Map<String, Value>,
    context: &ResolutionContext,
) -> Map<String, Value> {
    resolve_map_with_environment(template, context, &process_environment)
}

/// [`resolve`] with the environment (for `workflow.env.*` and bare variable names) read through
/// `environment` instead of from this process.
pub fn resolve_with_environment(
    template: &Value,
    context: &ResolutionContext,
    environment: EnvironmentLookup<'_>,
) -> Value {
    let resolver = Resolver {
        context,
        environment,
    };
    resolver.value(template)
}

/// [`resolve_map`] with an explicit environment.
pub fn resolve_map_with_environment(
    template: &Map<String, Value>,
    context: &ResolutionContext,
    environment: EnvironmentLookup<'_>,
) -> Map<String, Value> {
    let resolver = Resolver {
        context,
        environment,
    };
    resolver.map(template)
}

/// Replaces `${workflow.secrets.NAME[.path]}` references in a task's input with the secrets (the
/// environment variables `CONDUCTOR_SECRET_NAME`), as Conductor does when it hands a task to a
/// worker or runs a system task (`ParametersUtils.substituteSecrets`). The input as resolved keeps
/// the references; only what the worker (or the system task) receives has the values.
pub fn substitute_secrets(input: &Map<String, Value>) -> Map<String, Value> {
    substitute_secrets_with(input, &process_environment)
}

/// [`substitute_secrets`] with the environment read through `environment`.
pub fn substitute_secrets_with(
    input: &Map<String, Value>,
    environment: EnvironmentLookup<'_>,
) -> Map<String, Value> {
    input
        .iter()
        .map(|(key, value)| (key.clone(), substitute_secrets_in(value, environment)))
        .collect()
}

fn substitute_secrets_in(value: &Value, environment: EnvironmentLookup<'_>) -> Value {
    match value {
        Value::String(text) => substitute_secret_string(text, environment),
        Value::Object(map) => Value::Object(substitute_secrets_with(map, environment)),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| substitute_secrets_in(item, environment))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `ParametersUtils.resolveSecretString`, with `SECRET_PATTERN` =
/// `\$\{workflow\.secrets\.([^}]+)\}`.
fn substitute_secret_string(text: &str, environment: EnvironmentLookup<'_>) -> Value {
    const OPENING: &str = "${workflow.secrets.";
    if !text.contains(OPENING) {
        return Value::String(text.to_string());
    }
    // The whole string is one reference: the raw value.
    if let Some(reference) = text
        .strip_prefix(OPENING)
        .and_then(|rest| rest.strip_suffix('}'))
        .filter(|reference| !reference.is_empty() && !reference.contains('}'))
    {
        return lookup_with_optional_path(reference, SECRET_VARIABLE_PREFIX, environment)
            .into_value();
    }
    let mut result = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(OPENING) {
        let after = rest.get(start + OPENING.len()..).unwrap_or("");
        match after.find('}') {
            Some(end) if end > 0 => {
                result.push_str(rest.get(..start).unwrap_or(""));
                let reference = after.get(..end).unwrap_or("");
                let resolved =
                    lookup_with_optional_path(reference, SECRET_VARIABLE_PREFIX, environment);
                // `Objects.toString(resolved, "")`.
                match resolved {
                    PathValue::Single(Value::Null) => {}
                    other => result.push_str(&path_value_to_string(&other)),
                }
                rest = after.get(end + 1..).unwrap_or("");
            }
            _ => {
                // No reference starts here (`${workflow.secrets.}` or no closing brace): keep
                // the text and look further on.
                let keep = start + OPENING.len();
                result.push_str(rest.get(..keep).unwrap_or(""));
                rest = rest.get(keep..).unwrap_or("");
            }
        }
    }
    result.push_str(rest);
    Value::String(result)
}

/// `ParametersUtils.resolveWithOptionalJsonPath`: `NAME` or `NAME.json.path`, where the variable
/// holds JSON when a path follows. Anything missing or unreadable is `null`.
fn lookup_with_optional_path(
    reference: &str,
    prefix: &str,
    environment: EnvironmentLookup<'_>,
) -> PathValue {
    let Some((name, path)) = reference.split_once('.') else {
        return PathValue::Single(
            environment(&format!("{prefix}{reference}")).map_or(Value::Null, Value::String),
        );
    };
    let Some(text) = environment(&format!("{prefix}{name}")) else {
        return PathValue::Single(Value::Null);
    };
    let Some(document) = jsonpath::parse_permissive_json(&text) else {
        return PathValue::Single(Value::Null);
    };
    jsonpath::read_strict(&document, path)
}

fn path_value_to_string(value: &PathValue) -> String {
    match value {
        PathValue::Single(value) => java::to_java_string(value),
        PathValue::List(items) => java::to_json_smart_array(items),
    }
}

struct Resolver<'a, 'b> {
    context: &'a ResolutionContext<'a>,
    environment: EnvironmentLookup<'b>,
}

/// One `${...}` found in a string and what replaces it.
struct Replacement {
    /// In `char`s.
    start: usize,
    end: usize,
    value: PathValue,
}

/// What `replaceVariables` returns: the raw value of a whole-string expression, or text.
enum Resolved {
    Raw(PathValue),
    Text(String),
}

impl Resolver<'_, '_> {
    fn value(&self, template: &Value) -> Value {
        match template {
            Value::String(text) => match self.string(text, 0) {
                Resolved::Raw(value) => value.into_value(),
                Resolved::Text(text) => Value::String(text),
            },
            Value::Object(map) => Value::Object(self.map(map)),
            Value::Array(items) => {
                Value::Array(items.iter().map(|item| self.value(item)).collect())
            }
            other => other.clone(),
        }
    }

    fn map(&self, template: &Map<String, Value>) -> Map<String, Value> {
        template
            .iter()
            .map(|(key, value)| (key.clone(), self.value(value)))
            .collect()
    }

    /// `ParametersUtils.replaceVariables(paramString, documentContext, taskId, depth)`.
    fn string(&self, text: &str, depth: usize) -> Resolved {
        if !text.contains("${") {
            return Resolved::Text(text.to_string());
        }
        let characters: Vec<char> = text.chars().collect();
        let expressions = if depth > MAXIMUM_NESTING {
            Vec::new()
        } else {
            template::find_expressions(&characters)
        };
        let mut replacements = Vec::with_capacity(expressions.len());
        for expression in expressions {
            let matched: String = characters
                .get(expression.clone())
                .map(|slice| slice.iter().collect())
                .unwrap_or_default();
            let inner: String = characters
                .get(expression.start + 2..expression.end.saturating_sub(1))
                .map(|slice| slice.iter().collect())
                .unwrap_or_default();
            let path = match self.string(&inner, depth + 1) {
                Resolved::Text(path) => path,
                Resolved::Raw(value) => path_value_to_string(&value),
            };
            let value = if is_java_blank(&path) {
                Some(PathValue::Single(Value::String(String::new())))
            } else if path.starts_with(SECRETS_PATH_PREFIX) {
                Some(PathValue::Single(Value::String(matched)))
            } else if let Some(reference) = path.strip_prefix(ENVIRONMENT_PATH_PREFIX) {
                Some(lookup_with_optional_path(
                    reference,
                    ENVIRONMENT_VARIABLE_PREFIX,
                    self.environment,
                ))
            } else if self.is_environment_variable(&path) {
                self.system_parameter(&path)
                    .map(|value| PathValue::Single(Value::String(value)))
            } else {
                Some(jsonpath::read(self.context.document, &path))
            };
            if let Some(value) = value {
                replacements.push(Replacement {
                    start: expression.start,
                    end: expression.end,
                    value,
                });
            }
        }
        if depth == 0
            && let [single] = replacements.as_slice()
            && single.start == 0
            && single.end == characters.len()
        {
            return match replacements.pop() {
                Some(single) => Resolved::Raw(single.value),
                None => Resolved::Text(String::new()),
            };
        }
        let mut built = String::with_capacity(text.len());
        let mut copied = 0;
        for replacement in &replacements {
            built.extend(characters.get(copied..replacement.start).unwrap_or(&[]));
            built.push_str(&path_value_to_string(&replacement.value));
            copied = replacement.end;
        }
        built.extend(characters.get(copied..).unwrap_or(&[]));
        Resolved::Text(built.replace("$${", "${"))
    }

    /// `EnvUtils.isEnvironmentVariable`: a system parameter name, or a variable that is set.
    fn is_environment_variable(&self, name: &str) -> bool {
        SYSTEM_PARAMETERS.contains(&name) || (self.environment)(name).is_some()
    }

    /// `EnvUtils.getSystemParametersValue`.
    fn system_parameter(&self, name: &str) -> Option<String> {
        if name == "CPEWF_TASK_ID" {
            return self.context.current_task_id.map(str::to_string);
        }
        (self.environment)(name)
    }
}

/// `StringUtils.isBlank`: empty or only `Character.isWhitespace` characters.
fn is_java_blank(text: &str) -> bool {
    text.chars().all(|character| match character {
        '\u{00A0}' | '\u{2007}' | '\u{202F}' => false,
        '\t' | '\n' | '\u{000B}' | '\u{000C}' | '\r' | '\u{001C}'..='\u{001F}' => true,
        _ => character.is_whitespace() && character != '\u{0085}',
    })
}

#[cfg(test)]
mod tests;
