//! JSON_JQ_TRANSFORM: the task's jq program run with jaq, with Conductor's outputs.
//!
//! Mirrors conductor-oss `json-jq-task/src/main/java/com/netflix/conductor/tasks/json/
//! JsonJqTransform.java`, which runs the program with jackson-jq 0.0.13:
//!
//! * The program (`queryExpression`) is applied to the **whole resolved task input**, the
//!   `queryExpression` key included (`objectMapper.valueToTree(taskInput)`), so `.key1` reads the
//!   input parameter `key1`. The engine passes the input map as it is.
//! * `result` is the first output (or `null` when there is none) and `resultList` all of them
//!   ([`JqOutput::to_output`]). A failure (the program does not compile, or it raises an error)
//!   is the task's FAILED reason, and Conductor also puts it in the output under `error` — see
//!   [`error_output`]; `result`/`resultList` are then absent.
//! * Numbers follow jackson-jq: numbers the program computes are integers whenever they are
//!   integral (`JsonNodeUtils.asNumericNode`: `4 / 2` is `2`, not `2.0`), while numbers taken from
//!   the input or written as decimal literals keep their form (`1.0` stays `1.0`); `nan` and the
//!   infinities become the strings `"NaN"`, `"Infinity"` and `"-Infinity"`, as Conductor's
//!   Jackson writes them.
//! * Compiled programs are cached by their text (Conductor caches up to 1,000 for an hour).
//!
//! jaq is not jackson-jq: most programs give the same answers, but error messages are worded
//! differently, a few jq builtins are missing in jaq (`@csv`, `@tsv`, `ascii`, `IN`, `INDEX`,
//! `tostream`, `input`, `$__loc__`, date helpers…, which then fail to compile here), `$ENV` is an
//! empty object (no access to the environment) and jaq accepts some syntax jackson-jq rejects.
//!
//! # Limits
//!
//! Conductor puts no limit on a jq program. Here a program runs on a worker thread with a large
//! stack and gets [`TIME_LIMIT`] (or the limit given to [`transform_with_limit`]) and at most
//! [`MAXIMUM_OUTPUTS`] outputs; past the time limit the task fails and the runaway program is
//! abandoned on its thread until the process exits. A program that recurses without bound
//! (`def f: 1 + f; f`) can still exhaust that thread's stack, which aborts the process, as jaq
//! itself does — jaq offers no way to bound its recursion.

use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Native, Vars};
use jaq_json::Val;
use serde_json::{Map, Number, Value};

/// How long a jq program may run.
pub const TIME_LIMIT: Duration = Duration::from_secs(10);
/// Programs producing more outputs than this fail (the outputs are all kept, as `resultList`).
pub const MAXIMUM_OUTPUTS: usize = 100_000;
/// Compiled programs kept per worker thread.
const CACHE_CAPACITY: usize = 1000;
/// The native stack of a worker thread (jaq evaluates recursively).
const WORKER_STACK_BYTES: usize = 256 * 1024 * 1024;

/// The outputs of a jq program as Conductor reports them.
#[derive(Debug, Clone, PartialEq)]
pub struct JqOutput {
    /// The first output, or `null`.
    pub result: Value,
    /// Every output.
    pub result_list: Vec<Value>,
}

impl JqOutput {
    /// The task output: `{"result": …, "resultList": […]}`.
    pub fn to_output(&self) -> Map<String, Value> {
        let mut output = Map::new();
        output.insert("result".to_string(), self.result.clone());
        output.insert(
            "resultList".to_string(),
            Value::Array(self.result_list.clone()),
        );
        output
    }
}

/// The task output Conductor writes when the program fails: `{"error": message}` (the message is
/// also the task's `reasonForIncompletion`).
pub fn error_output(message: &str) -> Map<String, Value> {
    let mut output = Map::new();
    output.insert("error".to_string(), Value::String(message.to_string()));
    output
}

/// Runs `query` on `input` (the task's whole input map) within [`TIME_LIMIT`].
pub fn transform(query: &str, input: &Value) -> Result<JqOutput, String> {
    transform_with_limit(query, input, TIME_LIMIT)
}

/// [`transform`] with another time limit.
pub fn transform_with_limit(
    query: &str,
    input: &Value,
    limit: Duration,
) -> Result<JqOutput, String> {
    let (reply, answer) = mpsc::channel();
    let mut job = Job {
        query: query.to_string(),
        input: input.clone(),
        reply,
    };
    let mut worker = take_idle_worker()?;
    if let Err(mpsc::SendError(returned)) = worker.send(job) {
        // The worker is gone (it panicked): start another one.
        job = returned;
        worker = spawn_worker()?;
        worker
            .send(job)
            .map_err(|_| "the jq evaluator is unavailable".to_string())?;
    }
    match answer.recv_timeout(limit) {
        Ok(outcome) => {
            return_idle_worker(worker);
            outcome
        }
        // The worker is abandoned, still running the program: it is never given another job.
        Err(mpsc::RecvTimeoutError::Timeout) => Err(format!(
            "the jq program did not finish within {} seconds",
            limit.as_secs_f64()
        )),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Err("the jq program stopped its evaluator".to_string())
        }
    }
}

struct Job {
    query: String,
    input: Value,
    reply: mpsc::Sender<Result<JqOutput, String>>,
}

/// Idle worker threads. Each runs one program at a time and keeps its own cache of compiled
/// programs; a job takes the most recently used idle worker (or starts one), so with little
/// concurrency one or two workers, and their caches, serve everything.
static IDLE_WORKERS: LazyLock<Mutex<Vec<mpsc::Sender<Job>>>> =
    LazyLock::new(|| Mutex::new(Vec::new()));
/// Idle workers kept beyond this are stopped.
const MAXIMUM_IDLE_WORKERS: usize = 8;

fn take_idle_worker() -> Result<mpsc::Sender<Job>, String> {
    let idle = IDLE_WORKERS
        .lock()
        .ok()
        .and_then(|mut workers| workers.pop());
    match idle {
        Some(worker) => Ok(worker),
        None => spawn_worker(),
    }
}

fn return_idle_worker(worker: mpsc::Sender<Job>) {
    if let Ok(mut workers) = IDLE_WORKERS.lock()
        && workers.len() < MAXIMUM_IDLE_WORKERS
    {
        workers.push(worker);
    }
}

fn spawn_worker() -> Result<mpsc::Sender<Job>, String> {
    let (sender, receiver) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("wfc-jq".to_string())
        .stack_size(WORKER_STACK_BYTES)
        .spawn(move || {
            let mut cache: HashMap<String, Result<CompiledProgram, String>> = HashMap::new();
            for job in receiver {
                let outcome = run_cached(&mut cache, &job.query, &job.input);
                let _ = job.reply.send(outcome);
            }
        })
        .map_err(|error| format!("could not start the jq evaluator: {error}"))?;
    Ok(sender)
}

type Data = jaq_core::data::JustLut<Val>;
type CompiledProgram = jaq_core::compile::Filter<Native<Data>>;

fn run_cached(
    cache: &mut HashMap<String, Result<CompiledProgram, String>>,
    query: &str,
    input: &Value,
) -> Result<JqOutput, String> {
    if !cache.contains_key(query) {
        if cache.len() >= CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(query.to_string(), compile(query));
    }
    match cache.get(query) {
        Some(Ok(program)) => run(program, input),
        Some(Err(message)) => Err(message.clone()),
        None => Err("the jq program could not be compiled".to_string()),
    }
}

/// Parses and compiles a program with jaq's standard library.
fn compile(query: &str) -> Result<CompiledProgram, String> {
    let definitions = jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs());
    let loader = Loader::new(definitions);
    let arena = Arena::default();
    let modules = loader
        .load(
            &arena,
            File {
                code: query,
                path: (),
            },
        )
        .map_err(|errors| {
            errors
                .into_iter()
                .find_map(|(_, error)| load_error_message(query, error))
                .unwrap_or_else(|| "the jq program could not be parsed".to_string())
        })?;
    let natives = jaq_core::funs::<Data>()
        .chain(jaq_std::funs::<Data>())
        .chain(jaq_json::funs::<Data>());
    Compiler::default()
        .with_funs(natives)
        .with_global_vars(["$ENV"])
        .compile(modules)
        .map_err(|errors| {
            let names: Vec<String> = errors
                .into_iter()
                .flat_map(|(_, names)| names)
                .map(|(name, kind)| match kind {
                    jaq_core::compile::Undefined::Filter(arity) => {
                        format!("function `{name}/{arity}`")
                    }
                    other => format!("{} `{name}`", other.as_str()),
                })
                .collect();
            format!(
                "undefined {} in the jq program (jq builtins missing from jaq are not available \
                 in wfc's local runtime)",
                names.join(", ")
            )
        })
}

/// A parse error as "expected …, found … at line L, column C".
fn load_error_message(query: &str, error: jaq_core::load::Error<&str>) -> Option<String> {
    use jaq_core::load::Error;
    let position = |part: &str| -> String {
        let start = (part.as_ptr() as usize)
            .checked_sub(query.as_ptr() as usize)
            .filter(|start| *start <= query.len())
            .unwrap_or(query.len());
        let before = query.get(..start).unwrap_or(query);
        let line = before.matches('\n').count() + 1;
        let column = before
            .rsplit('\n')
            .next()
            .map_or(0, |text| text.chars().count())
            + 1;
        format!("line {line}, column {column}")
    };
    match error {
        Error::Lex(errors) => errors.into_iter().next().map(|(expect, found)| {
            let found_text = found.chars().next().map_or_else(
                || "the end of the program".to_string(),
                |character| format!("`{character}`"),
            );
            format!(
                "jq syntax error: expected {}, found {found_text} at {}",
                expect.as_str(),
                position(found)
            )
        }),
        Error::Parse(errors) => errors.into_iter().next().map(|(expect, found)| {
            let expected = match expect {
                jaq_core::load::parse::Expect::Just(token) => format!("`{token}`"),
                other => other.as_str().to_string(),
            };
            let found_text = if found.is_empty() {
                "the end of the program".to_string()
            } else {
                format!("`{found}`")
            };
            format!(
                "jq syntax error: expected {expected}, found {found_text} at {}",
                position(found)
            )
        }),
        Error::Io(errors) => errors.into_iter().next().map(|(path, _)| {
            format!(
                "jq modules cannot be loaded (`{path}` at {})",
                position(path)
            )
        }),
    }
}

fn run(program: &CompiledProgram, input: &Value) -> Result<JqOutput, String> {
    let text = serde_json::to_vec(input).map_err(|error| error.to_string())?;
    let value = jaq_json::read::parse_single(&text).map_err(|error| error.to_string())?;
    let environment = Val::obj(Default::default());
    let context = Ctx::<Data>::new(&program.lut, Vars::new([environment]));
    let mut outputs = Vec::new();
    for output in program.id.run((context, value)) {
        match jaq_core::unwrap_valr(output) {
            Ok(value) => outputs.push(to_json(&value)),
            Err(error) => return Err(error_message(&error)),
        }
        if outputs.len() > MAXIMUM_OUTPUTS {
            return Err(format!(
                "the jq program produced more than {MAXIMUM_OUTPUTS} outputs"
            ));
        }
    }
    Ok(JqOutput {
        result: outputs.first().cloned().unwrap_or(Value::Null),
        result_list: outputs,
    })
}

/// A jq error: `error("text")` gives its text, an indexing error jackson-jq's wording (which
/// Conductor's tests assert verbatim), other errors jaq's description.
fn error_message(error: &jaq_core::Error<Val>) -> String {
    let text = error.to_string();
    if let Some(message) = jackson_index_message(&text) {
        return message;
    }
    text.strip_prefix("error: ")
        .map_or(text.clone(), str::to_string)
}

/// jaq's `cannot index <value> with <index>` (both written as JSON) in jackson-jq's (and jq
/// 1.6's) words: `Cannot index string with string "array"`, `Cannot index object with number`.
fn jackson_index_message(text: &str) -> Option<String> {
    let rest = text.strip_prefix("cannot index ")?;
    let mut values = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
    let indexed = values.next()?.ok()?;
    let after_value = rest.get(values.byte_offset()..)?;
    let index: Value = serde_json::from_str(after_value.strip_prefix(" with ")?).ok()?;
    let index_text = match &index {
        Value::String(key) => format!("string {}", Value::String(key.clone())),
        other => jq_type_name(other).to_string(),
    };
    Some(format!(
        "Cannot index {} with {index_text}",
        jq_type_name(&indexed)
    ))
}

fn jq_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A jaq value as Conductor's `extractBody` returns it.
fn to_json(value: &Val) -> Value {
    match value {
        Val::Null => Value::Null,
        Val::Bool(flag) => Value::Bool(*flag),
        Val::Num(number) => number_to_json(number),
        Val::TStr(bytes) | Val::BStr(bytes) => {
            Value::String(String::from_utf8_lossy(bytes).into_owned())
        }
        Val::Arr(items) => Value::Array(items.iter().map(to_json).collect()),
        Val::Obj(map) => Value::Object(
            map.iter()
                .map(|(key, item)| {
                    let key = match key {
                        Val::TStr(bytes) | Val::BStr(bytes) => {
                            String::from_utf8_lossy(bytes).into_owned()
                        }
                        other => to_json(other).to_string(),
                    };
                    (key, to_json(item))
                })
                .collect(),
        ),
    }
}

fn number_to_json(number: &jaq_json::Num) -> Value {
    use jaq_json::Num;
    match number {
        Num::Int(integer) => Value::from(i64::try_from(*integer).unwrap_or(i64::MAX)),
        Num::BigInt(big) => big
            .to_string()
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| float_to_json(big.to_string().parse().unwrap_or(f64::NAN))),
        Num::Float(float) => float_to_json(*float),
        // A decimal from the input (or a decimal literal): its form is kept, as jackson-jq keeps
        // the `DoubleNode` it read.
        Num::Dec(text) => serde_json::from_str::<Number>(text)
            .map(Value::Number)
            .unwrap_or_else(|_| float_to_json(text.parse().unwrap_or(f64::NAN))),
    }
}

/// A computed double: `JsonNodeUtils.asNumericNode` makes it an integer when `(long) value ==
/// value`; non-finite values are written as strings.
fn float_to_json(value: f64) -> Value {
    if value.is_nan() {
        return Value::String("NaN".to_string());
    }
    if value.is_infinite() {
        return Value::String(if value > 0.0 { "Infinity" } else { "-Infinity" }.to_string());
    }
    let integer = value as i64;
    if integer as f64 == value {
        return Value::from(integer);
    }
    Number::from_f64(value).map_or(Value::Null, Value::Number)
}

#[cfg(test)]
mod tests;
