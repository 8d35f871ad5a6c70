//! JavaScript for INLINE, LAMBDA, SWITCH (`javascript`/`graaljs`) and DO_WHILE conditions,
//! evaluated the way Conductor's `ScriptEvaluator` does with GraalJS (FORMAT.md §D.6), on QuickJS
//! (`rquickjs`) with hard limits.
//!
//! Mirrors conductor-oss `core/src/main/java/com/netflix/conductor/core/events/ScriptEvaluator.java`
//! (`eval`, `getObject`, `toBoolean`, `handlePolyglotException`),
//! `core/…/core/execution/evaluators/JavascriptEvaluator.java` (the deep copy of the input) and
//! `core/…/core/execution/tasks/Lambda.java` (the LAMBDA wrapper):
//!
//! * **A fresh runtime and context per evaluation** (Conductor's default: no context pool), so
//!   nothing survives from one script to the next. Only ECMAScript intrinsics are installed (Date,
//!   RegExp, JSON, Map/Set, typed arrays, Proxy, Promise, WeakRef, `eval`): no `require`, `fetch`,
//!   `console`, `std`/`os`, timers, `performance` or host objects — the script can compute and
//!   nothing else, as in Conductor's sandbox (no IO, no threads, no environment, `js.console`
//!   off).
//! * **`$` is a deep copy of the input**, made from its JSON: the script may change it freely.
//! * **The script is a program** in sloppy mode; its value is the completion value of the last
//!   statement (`$.a == 1`, `(function(){ return 2 })()`); a top-level `return` is a syntax error.
//!   [`evaluate_lambda`] wraps the body as `function scriptFun(){<body>} scriptFun();` exactly like
//!   LAMBDA.
//! * **The value is converted like `getObject`**: `undefined` and `null` → `null`; numbers that
//!   fit an `int`/`long` (integral and not `-0`) become integers (`2.0` → `2`), others stay
//!   doubles; `NaN` and infinities become the strings `"NaN"`, `"Infinity"`, `"-Infinity"` (how
//!   Conductor's Jackson writes them); arrays (and typed arrays) → lists, holes → `null`; a `Map`
//!   → an object of its entries (keys as Java prints them); any other object → its own enumerable
//!   properties — so functions, dates, regular expressions, promises and errors become `{}`, as
//!   they do in Conductor.
//! * **Limits**: wall-clock time (`ScriptLimits::time`, default 4 s like
//!   `CONDUCTOR_SCRIPT_MAX_EXECUTION_SECONDS`) through QuickJS's interrupt handler, heap memory
//!   (`ScriptLimits::memory_bytes`, default 64 MiB) and a native stack budget (so deep recursion
//!   is a JavaScript error, not a crash). Conductor has no memory limit (a memory bomb takes the
//!   server's heap); here it is [`ScriptError::OutOfMemory`].
//! * **Errors** read like Conductor's: "Error evaluating the script `ReferenceError: x is not
//!   defined` at line 1" (the `TerminateWorkflowException` that makes INLINE
//!   FAILED_WITH_TERMINAL_ERROR), "Script not evaluated within 4 seconds, interrupted." (a
//!   retriable failure). The JavaScript messages themselves are QuickJS's, which differ in wording
//!   from GraalJS's in places.
//!
//! Not reproduced: GraalJS exposes `$` as a *host* map (Java `LinkedHashMap`), so a few
//! reflective operations on it (`Object.keys($)`, `JSON.stringify($)`, `Array.isArray($.list)`)
//! may answer differently on a server than on this plain JavaScript copy; `Date` is the real
//! clock, not the run's virtual clock; LAMBDA's script sees (and may modify) Conductor's task
//! input map itself, here a copy; the console bridge of Orkes' INLINE.
//!
//! Evaluation is synchronous and CPU-bound: call it from a blocking thread
//! (`tokio::task::spawn_blocking`). The calling thread needs a stack comfortably larger than
//! [`NATIVE_STACK_BYTES`] (tokio's blocking threads and Rust's spawned threads have 2 MiB).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rquickjs::context::{EvalOptions, intrinsic};
use rquickjs::{Context, Ctx, Exception, Function, Object, Runtime, Type};
use serde_json::{Map, Number, Value};

/// The native stack QuickJS may use before it throws a stack-overflow error.
pub const NATIVE_STACK_BYTES: usize = 512 * 1024;
/// Results nested deeper than this (or cyclic) are an error rather than a stack overflow (in
/// Conductor a cyclic result overflows the JVM's stack).
const MAXIMUM_RESULT_DEPTH: usize = 256;

/// How long and how much memory one evaluation may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScriptLimits {
    pub time: Duration,
    pub memory_bytes: usize,
}

impl Default for ScriptLimits {
    /// Conductor's default time limit (4 s) and 64 MiB of heap.
    fn default() -> Self {
        ScriptLimits {
            time: Duration::from_secs(4),
            memory_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Why a script produced no value. `Syntax` and `Thrown` hold the whole reason as Conductor words
/// it ("Error evaluating the script `…` at line N"); [`fmt::Display`] prints every variant as the
/// task's `reasonForIncompletion`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptError {
    /// The script does not parse.
    Syntax(String),
    /// The script threw (including a stack overflow).
    Thrown(String),
    /// The script ran past [`ScriptLimits::time`].
    TimedOut(Duration),
    /// The script allocated more than [`ScriptLimits::memory_bytes`].
    OutOfMemory,
}

impl ScriptError {
    /// Whether Conductor's INLINE task ends FAILED_WITH_TERMINAL_ERROR (a script error, which a
    /// retry would repeat: `TerminateWorkflowException`) rather than FAILED (a time-out, which is
    /// retriable). LAMBDA fails with FAILED either way.
    pub fn is_terminal(&self) -> bool {
        !matches!(self, ScriptError::TimedOut(_))
    }
}

impl fmt::Display for ScriptError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScriptError::Syntax(message) | ScriptError::Thrown(message) => {
                formatter.write_str(message)
            }
            ScriptError::TimedOut(limit) => {
                if limit.subsec_nanos() == 0 {
                    write!(
                        formatter,
                        "Script not evaluated within {} seconds, interrupted.",
                        limit.as_secs()
                    )
                } else {
                    write!(
                        formatter,
                        "Script not evaluated within {} milliseconds, interrupted.",
                        limit.as_millis()
                    )
                }
            }
            ScriptError::OutOfMemory => {
                formatter.write_str("Script exceeded its memory limit, interrupted.")
            }
        }
    }
}

impl std::error::Error for ScriptError {}

/// A fresh QuickJS context per call; `$` = deep copy of `input`; no file, network, timers or
/// host access; the value of the last statement converted back to JSON.
pub fn evaluate(script: &str, input: &Value, limits: &ScriptLimits) -> Result<Value, ScriptError> {
    let interrupted = Arc::new(AtomicBool::new(false));
    let runtime = Runtime::new().map_err(|_| ScriptError::OutOfMemory)?;
    runtime.set_memory_limit(limits.memory_bytes);
    runtime.set_max_stack_size(NATIVE_STACK_BYTES);
    let deadline = Instant::now() + limits.time;
    let flag = Arc::clone(&interrupted);
    runtime.set_interrupt_handler(Some(Box::new(move || {
        if Instant::now() >= deadline {
            flag.store(true, Ordering::Relaxed);
            true
        } else {
            false
        }
    })));
    let context = Context::builder()
        .with::<intrinsic::Date>()
        .with::<intrinsic::Eval>()
        .with::<intrinsic::RegExpCompiler>()
        .with::<intrinsic::RegExp>()
        .with::<intrinsic::Json>()
        .with::<intrinsic::Proxy>()
        .with::<intrinsic::MapSet>()
        .with::<intrinsic::TypedArrays>()
        .with::<intrinsic::Promise>()
        .with::<intrinsic::WeakRef>()
        .build(&runtime)
        .map_err(|_| ScriptError::OutOfMemory)?;
    let outcome = context.with(|ctx| run(&ctx, script, input));
    // QuickJS throws `null` when it cannot even allocate its "out of memory" error. A script can
    // throw `null` itself only with a `throw` statement; otherwise, or when the heap is still
    // nearly full, a thrown `null` is the memory limit.
    let heap_full = || {
        let usage = runtime.memory_usage();
        usize::try_from(usage.malloc_size).unwrap_or(usize::MAX) >= limits.memory_bytes / 4 * 3
    };
    outcome.map_err(|failure| match failure {
        _ if interrupted.load(Ordering::Relaxed) => ScriptError::TimedOut(limits.time),
        Failure::OutOfMemory => ScriptError::OutOfMemory,
        Failure::ThrownNull if !script.contains("throw") || heap_full() => ScriptError::OutOfMemory,
        Failure::ThrownNull => {
            ScriptError::Thrown("Error evaluating the script `null`".to_string())
        }
        Failure::Syntax(message) => ScriptError::Syntax(message),
        Failure::Thrown(message) => ScriptError::Thrown(message),
    })
}

/// LAMBDA: `scriptExpression` wrapped in a function, as Conductor does
/// (`"function scriptFun(){" + scriptExpression + "} scriptFun();"`), so the body must `return`.
pub fn evaluate_lambda(
    script: &str,
    input: &Value,
    limits: &ScriptLimits,
) -> Result<Value, ScriptError> {
    evaluate(
        &format!("function scriptFun(){{{script}}} scriptFun();"),
        input,
        limits,
    )
}

/// Conductor's `ScriptEvaluator.toBoolean`: a boolean is itself, a number is true when greater
/// than zero, anything else (including the string `"true"`) is false.
pub fn truthy(value: &Value) -> bool {
    match value {
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|number| number > 0.0),
        _ => false,
    }
}

/// GraalJS hands the script Conductor's input as Java host objects, so workflows call Java's
/// collection methods on `$` and everything in it (`$.list.get(i)`, `$.list.size()`,
/// `$.map.containsKey("k")`). The plain JavaScript copy gets the common ones as non-enumerable
/// own methods (a key of the data with the same name wins), which the conversion back to JSON
/// never sees.
const HOST_COLLECTION_METHODS: &str = r#"(function (root) {
  var has = Object.prototype.hasOwnProperty;
  var listMethods = {
    get: function (index) { return this[index]; },
    size: function () { return this.length; },
    isEmpty: function () { return this.length === 0; },
    contains: function (item) { return this.indexOf(item) >= 0; }
  };
  var mapMethods = {
    get: function (key) { return has.call(this, key) ? this[key] : null; },
    getOrDefault: function (key, fallback) { return has.call(this, key) ? this[key] : fallback; },
    containsKey: function (key) { return has.call(this, key); },
    size: function () { return Object.keys(this).length; },
    isEmpty: function () { return Object.keys(this).length === 0; },
    keySet: function () { return Object.keys(this); },
    values: function () { var self = this; return Object.keys(self).map(function (key) { return self[key]; }); }
  };
  var pending = [root];
  while (pending.length > 0) {
    var value = pending.pop();
    if (value === null || typeof value !== "object") continue;
    var methods = Array.isArray(value) ? listMethods : mapMethods;
    for (var key in value) pending.push(value[key]);
    for (var name in methods) {
      if (!has.call(value, name)) {
        Object.defineProperty(value, name, { value: methods[name], enumerable: false, writable: true, configurable: true });
      }
    }
  }
})($);"#;

enum Failure {
    Syntax(String),
    Thrown(String),
    /// `throw null`, or QuickJS out of memory.
    ThrownNull,
    OutOfMemory,
}

fn run(ctx: &Ctx<'_>, script: &str, input: &Value) -> Result<Value, Failure> {
    // Constructors captured before the script runs, so that the conversion does not depend on
    // what the script does to the globals.
    let globals = ctx.globals();
    let map_constructor: Option<Object> = globals.get("Map").ok();
    let array_buffer: Option<Object> = globals.get("ArrayBuffer").ok();
    let is_view: Option<Function> = array_buffer
        .as_ref()
        .and_then(|buffer| buffer.get("isView").ok());

    let input_text = serde_json::to_string(input).unwrap_or_else(|_| "null".to_string());
    let copy = ctx
        .json_parse(input_text)
        .map_err(|error| exception(ctx, error))?;
    globals
        .set("$", copy)
        .map_err(|error| exception(ctx, error))?;
    ctx.eval::<(), _>(HOST_COLLECTION_METHODS)
        .map_err(|error| exception(ctx, error))?;

    let mut options = EvalOptions::default();
    options.strict = false;
    options.global = true;
    options.filename = Some("inline".to_string());
    let result: rquickjs::Value = ctx
        .eval_with_options(script, options)
        .map_err(|error| exception(ctx, error))?;
    let converter = Converter {
        ctx,
        map_constructor,
        is_view,
    };
    converter
        .convert(&result, 0)
        .map_err(|error| exception(ctx, error))
}

/// Turns a QuickJS failure into Conductor's wording.
fn exception(ctx: &Ctx<'_>, error: rquickjs::Error) -> Failure {
    match error {
        rquickjs::Error::Allocation => return Failure::OutOfMemory,
        rquickjs::Error::Exception => {}
        other => {
            return Failure::Thrown(format!("Error evaluating the script `{other}`"));
        }
    }
    let thrown = ctx.catch();
    // When even the "out of memory" error cannot be allocated, QuickJS throws nothing at all.
    if thrown.type_of() == Type::Uninitialized {
        return Failure::OutOfMemory;
    }
    if thrown.is_null() {
        return Failure::ThrownNull;
    }
    let Some(error_object) = thrown.as_object().cloned().and_then(Exception::from_object) else {
        // `throw "text"` and other non-Error values: GraalJS reports their string value.
        let text = thrown
            .as_string()
            .and_then(|text| text.to_string().ok())
            .or_else(|| {
                ctx.globals()
                    .get::<_, Function>("String")
                    .ok()
                    .and_then(|string| string.call::<_, String>((thrown.clone(),)).ok())
            })
            .unwrap_or_else(|| thrown.type_name().to_string());
        return Failure::Thrown(format!("Error evaluating the script `{text}`"));
    };
    let name: String = error_object
        .get::<_, String>("name")
        .unwrap_or_else(|_| "Error".to_string());
    let message = error_object.message().unwrap_or_default();
    if name == "InternalError" && message == "out of memory" {
        return Failure::OutOfMemory;
    }
    let stack = error_object.stack().unwrap_or_default();
    let line = line_in_script(&stack);
    let text = if message.is_empty() {
        name.clone()
    } else {
        format!("{name}: {message}")
    };
    let reason = match line {
        Some(line) => format!("Error evaluating the script `{text}` at line {line}"),
        None => format!("Error evaluating the script `{text}`"),
    };
    // A syntax error of the script itself is reported at parse time, before any frame of the
    // script runs: its stack has no function frame. A `SyntaxError` thrown while running
    // (`JSON.parse`, `eval`) comes from inside a frame.
    if name == "SyntaxError" && parses_with_error(&stack) {
        Failure::Syntax(reason)
    } else {
        Failure::Thrown(reason)
    }
}

/// The line of the script where the error happened: the first `inline:LINE:COLUMN` of the stack.
fn line_in_script(stack: &str) -> Option<u64> {
    let start = stack.find("inline:")? + "inline:".len();
    let digits: String = stack
        .get(start..)?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Whether a `SyntaxError` came from parsing the script (its stack names only the script's
/// position, no calling frame such as `at parse (native)` or `at <eval>`).
fn parses_with_error(stack: &str) -> bool {
    let frames: Vec<&str> = stack
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with("at "))
        .collect();
    frames.len() <= 1 && !frames.iter().any(|frame| frame.contains("native"))
}

struct Converter<'a, 'js> {
    ctx: &'a Ctx<'js>,
    map_constructor: Option<Object<'js>>,
    is_view: Option<Function<'js>>,
}

/// A list or map being converted: its finished part and what is left to convert.
struct Frame<'js> {
    /// Where the finished value goes in the parent (`None` for a list element).
    key: Option<String>,
    kind: FrameKind<'js>,
}

enum FrameKind<'js> {
    List {
        items: Vec<Value>,
        pending: std::vec::IntoIter<rquickjs::Value<'js>>,
    },
    Map {
        map: Map<String, Value>,
        object: Object<'js>,
        pending: std::vec::IntoIter<String>,
    },
    Entries {
        map: Map<String, Value>,
        pending: std::vec::IntoIter<(String, rquickjs::Value<'js>)>,
    },
}

/// What one step of the conversion found: a finished value, or a container to fill.
enum Step<'js> {
    Leaf(Value),
    Container(FrameKind<'js>),
}

impl<'js> Frame<'js> {
    /// The next child to convert, with the key it goes under.
    fn next(&mut self) -> rquickjs::Result<Option<(Option<String>, rquickjs::Value<'js>)>> {
        Ok(match &mut self.kind {
            FrameKind::List { pending, .. } => pending.next().map(|item| (None, item)),
            FrameKind::Map {
                object, pending, ..
            } => match pending.next() {
                Some(key) => {
                    let item: rquickjs::Value = object.get(key.as_str())?;
                    Some((Some(key), item))
                }
                None => None,
            },
            FrameKind::Entries { pending, .. } => {
                pending.next().map(|(key, item)| (Some(key), item))
            }
        })
    }

    fn put(&mut self, key: Option<String>, value: Value) {
        match &mut self.kind {
            FrameKind::List { items, .. } => items.push(value),
            FrameKind::Map { map, .. } | FrameKind::Entries { map, .. } => {
                map.insert(key.unwrap_or_default(), value);
            }
        }
    }

    fn finish(self) -> (Option<String>, Value) {
        let value = match self.kind {
            FrameKind::List { items, .. } => Value::Array(items),
            FrameKind::Map { map, .. } | FrameKind::Entries { map, .. } => Value::Object(map),
        };
        (self.key, value)
    }
}

impl<'js> Converter<'_, 'js> {
    /// `ScriptEvaluator.getObject`, without recursion (a deep or cyclic value must not use the
    /// native stack QuickJS measures).
    fn convert(&self, value: &rquickjs::Value<'js>, depth: usize) -> rquickjs::Result<Value> {
        let mut stack: Vec<Frame<'js>> = Vec::new();
        match self.step(value, depth)? {
            Step::Leaf(value) => return Ok(value),
            Step::Container(kind) => stack.push(Frame { key: None, kind }),
        }
        loop {
            let level = depth + stack.len();
            let Some(top) = stack.last_mut() else {
                return Ok(Value::Null);
            };
            match top.next()? {
                Some((key, child)) => {
                    if level > MAXIMUM_RESULT_DEPTH {
                        return Err(rquickjs::Exception::throw_range(
                            self.ctx,
                            "the script's value is nested too deeply (or cyclic) to convert",
                        ));
                    }
                    match self.step(&child, level)? {
                        Step::Leaf(value) => top.put(key, value),
                        Step::Container(kind) => stack.push(Frame { key, kind }),
                    }
                }
                None => {
                    let Some(finished) = stack.pop() else {
                        return Ok(Value::Null);
                    };
                    let (key, value) = finished.finish();
                    match stack.last_mut() {
                        Some(parent) => parent.put(key, value),
                        None => return Ok(value),
                    }
                }
            }
        }
    }

    /// Converts a primitive, or opens a list or map to be filled.
    fn step(&self, value: &rquickjs::Value<'js>, depth: usize) -> rquickjs::Result<Step<'js>> {
        Ok(match value.type_of() {
            Type::Uninitialized | Type::Undefined | Type::Null => Step::Leaf(Value::Null),
            Type::Bool => Step::Leaf(Value::Bool(value.as_bool().unwrap_or(false))),
            Type::Int => Step::Leaf(Value::from(value.as_int().unwrap_or(0))),
            Type::Float => Step::Leaf(number(value.as_float().unwrap_or(f64::NAN))),
            Type::String => Step::Leaf(Value::String(
                value
                    .as_string()
                    .map(|text| text.to_string())
                    .transpose()?
                    .unwrap_or_default(),
            )),
            Type::BigInt => Step::Leaf(
                value
                    .as_big_int()
                    .and_then(|big| big.clone().to_i64().ok())
                    .map_or_else(|| Value::Object(Map::new()), Value::from),
            ),
            Type::Array => {
                let mut items = Vec::new();
                if let Some(array) = value.as_array() {
                    items.reserve(array.len());
                    for index in 0..array.len() {
                        items.push(array.get::<rquickjs::Value>(index)?);
                    }
                }
                Step::Container(FrameKind::List {
                    items: Vec::with_capacity(items.len()),
                    pending: items.into_iter(),
                })
            }
            _ => match value.as_object() {
                Some(object) => self.object(value, object, depth)?,
                None => Step::Leaf(Value::Object(Map::new())),
            },
        })
    }

    fn object(
        &self,
        value: &rquickjs::Value<'js>,
        object: &Object<'js>,
        depth: usize,
    ) -> rquickjs::Result<Step<'js>> {
        // Typed arrays have array elements for GraalJS.
        if let Some(is_view) = &self.is_view
            && is_view.call::<_, bool>((value.clone(),))?
        {
            let length: usize = object.get::<_, Option<usize>>("length")?.unwrap_or(0);
            let mut items = Vec::with_capacity(length);
            for index in 0..length {
                let index = u32::try_from(index).unwrap_or(u32::MAX);
                items.push(object.get::<_, rquickjs::Value>(index)?);
            }
            return Ok(Step::Container(FrameKind::List {
                items: Vec::with_capacity(items.len()),
                pending: items.into_iter(),
            }));
        }
        // A `Map` has hash entries: its keys and values.
        if let Some(map_constructor) = &self.map_constructor
            && object.is_instance_of(map_constructor)
        {
            let entries: Function = self
                .ctx
                .eval("(function (map) { return Array.from(map.entries()); })")?;
            let pairs: rquickjs::Array = entries.call((value.clone(),))?;
            let mut pending = Vec::with_capacity(pairs.len());
            for pair in pairs.iter::<rquickjs::Array>() {
                let pair = pair?;
                let key = match self.convert(
                    &pair.get(0)?,
                    MAXIMUM_RESULT_DEPTH.saturating_sub(8).max(depth),
                )? {
                    Value::String(text) => text,
                    other => java_key(&other),
                };
                pending.push((key, pair.get::<rquickjs::Value>(1)?));
            }
            return Ok(Step::Container(FrameKind::Entries {
                map: Map::new(),
                pending: pending.into_iter(),
            }));
        }
        let keys = object
            .keys::<String>()
            .collect::<rquickjs::Result<Vec<String>>>()?;
        Ok(Step::Container(FrameKind::Map {
            map: Map::new(),
            object: object.clone(),
            pending: keys.into_iter(),
        }))
    }
}

/// How Jackson writes a non-string map key (`toString()` of the converted key).
fn java_key(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// A JavaScript number as Conductor stores it: `Integer`/`Long` when the value fits one exactly
/// (`fitsInInt`, `fitsInLong`: integral, in range, not `-0`), otherwise a `Double`; Jackson
/// writes `NaN` and the infinities as strings.
fn number(value: f64) -> Value {
    const TWO_TO_THE_63: f64 = 9_223_372_036_854_775_808.0;
    if value.is_nan() {
        return Value::String("NaN".to_string());
    }
    if value.is_infinite() {
        return Value::String(if value > 0.0 { "Infinity" } else { "-Infinity" }.to_string());
    }
    let integral = value.fract() == 0.0;
    let negative_zero = value == 0.0 && value.is_sign_negative();
    if integral && !negative_zero && (-TWO_TO_THE_63..TWO_TO_THE_63).contains(&value) {
        return Value::from(value as i64);
    }
    Number::from_f64(value).map_or(Value::Null, Value::Number)
}

#[cfg(test)]
mod tests;
