//! Jayway JsonPath 2.4.0 as Conductor calls it: `DocumentContext.read(path)` with
//! `Option.SUPPRESS_EXCEPTIONS` (conductor-oss `ParametersUtils.replaceVariables`; json-path
//! `JsonContext`, `JsonPath.read`, `internal/path/PathCompiler`, the path tokens,
//! `internal/filter/*`, `internal/function/*`).
//!
//! This is a port, not an RFC 9535 engine (such as `serde_json_path`, which the compiler uses to
//! check filter syntax): Jayway's results differ from RFC 9535 in ways workflows observe.
//!
//! * **Definite and indefinite paths.** A path made only of names, single indexes and functions is
//!   *definite*: it yields one value, or `null` when nothing is there. Any `..`, `*`, filter,
//!   slice or index/name list makes it *indefinite*: the result is always a list (a json-smart
//!   `JSONArray`, which prints as JSON when interpolated — see [`PathValue`]), empty when nothing
//!   matched. An error during evaluation gives `null` or `[]` by the same rule; a path that does
//!   not compile gives `null`.
//! * **Leniencies of the compiler**: a path without `$`/`@` is read as `$.` + path; one stray
//!   character after a bracket (`$.a[0]x`) is ignored; names are anything up to `.`, `[`, `(` or a
//!   space; `['a','b']` at the end merges the named properties into one map.
//! * **Filters** (`[?(...)]`) test a *map* itself and the *elements* of a list; `==` compares
//!   numbers and strings across types (`1 == '1'`); `in`, `nin`, `subsetof`, `contains`, `size`,
//!   `empty`, exists checks (`[?(@.a)]`, `[?(!@.a)]`), `&&`, `||`, `!` and parentheses all work as
//!   in Jayway. `=~` (regular expressions) is the one operator not evaluated: Java's regex dialect
//!   is not reproduced, so `=~` is always false (documented in the module docs of
//!   `parameters`).
//! * **Deep scans** visit a node before its children, objects' properties in order, and (a Jayway
//!   quirk) apply `..[0].x` to every element of every list instead of only the first.
//! * **Functions**: `length()`/`size()`, `sum()`, `avg()`, `min()`, `max()`, `stddev()`,
//!   `concat()`, `append()`, with Jayway's results (doubles for the aggregations, `max()` starting
//!   from `Double.MIN_VALUE`). `append()` does not modify the document (Jayway's does, in place).
//!
//! Compilation is bounded (at most [`MAXIMUM_TOKENS`] tokens: Jayway loops forever on a few
//! malformed bracket paths, which Conductor would report as a stack overflow) and so is
//! evaluation nesting (filters within filters).

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::HashMap;

use serde_json::{Map, Number, Value};

use super::java::{Decimal, compare_java_strings, java_length, to_java_string};

/// A compiled path has at most this many tokens.
const MAXIMUM_TOKENS: usize = 512;
/// Filters (and function parameters) nest at most this deep.
const MAXIMUM_NESTING: usize = 32;
/// Compiled paths kept per thread (Jayway caches compiled paths too).
const CACHE_CAPACITY: usize = 1024;

/// What `DocumentContext.read` returns.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum PathValue {
    /// The value of a definite path (or `null`).
    Single(Value),
    /// The `JSONArray` of an indefinite path: a list that prints as JSON, not as a Java list.
    List(Vec<Value>),
}

impl PathValue {
    pub(super) fn into_value(self) -> Value {
        match self {
            PathValue::Single(value) => value,
            PathValue::List(items) => Value::Array(items),
        }
    }
}

/// `JsonPath.parse(document, SUPPRESS_EXCEPTIONS).read(path)` inside Conductor's `try`: never
/// fails.
pub(super) fn read(document: &Value, path: &str) -> PathValue {
    // `JsonContext.read` trims the path (`String.trim`) and rejects an empty one.
    let path = java_trim(path);
    if path.is_empty() {
        return PathValue::Single(Value::Null);
    }
    let Some(compiled) = compile_cached(path) else {
        return PathValue::Single(Value::Null);
    };
    let options = Options {
        suppress_exceptions: true,
        require_properties: false,
    };
    let definite = compiled.is_definite();
    match compiled.evaluate(document, document, options, 0) {
        Ok(results) => match results.value(definite) {
            Ok(value) => value,
            Err(_) => suppressed(definite),
        },
        Err(_) => suppressed(definite),
    }
}

/// `JsonPath.parse(json).read(path)` with the default configuration (exceptions not
/// suppressed) inside a `catch` that turns any failure into `null`: how Conductor reads a path
/// inside an environment variable or secret.
pub(super) fn read_strict(document: &Value, path: &str) -> PathValue {
    let path = java_trim(path);
    if path.is_empty() {
        return PathValue::Single(Value::Null);
    }
    let Some(compiled) = compile_cached(path) else {
        return PathValue::Single(Value::Null);
    };
    let options = Options {
        suppress_exceptions: false,
        require_properties: false,
    };
    let definite = compiled.is_definite();
    compiled
        .evaluate(document, document, options, 0)
        .and_then(|results| results.value(definite))
        .unwrap_or(PathValue::Single(Value::Null))
}

fn suppressed(definite: bool) -> PathValue {
    if definite {
        PathValue::Single(Value::Null)
    } else {
        PathValue::List(Vec::new())
    }
}

thread_local! {
    static CACHE: RefCell<HashMap<String, Option<std::rc::Rc<CompiledPath>>>> =
        RefCell::new(HashMap::new());
}

fn compile_cached(path: &str) -> Option<std::rc::Rc<CompiledPath>> {
    if let Some(cached) = CACHE.with(|cache| cache.borrow().get(path).cloned()) {
        return cached;
    }
    let compiled = compile(path).ok().map(std::rc::Rc::new);
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(path.to_string(), compiled.clone());
    });
    compiled
}

/// Java's `String.trim()`: removes characters up to U+0020 at both ends.
fn java_trim(text: &str) -> &str {
    text.trim_matches(|character: char| character <= ' ')
}

/// The exceptions Jayway throws, by the classes its `catch` blocks distinguish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// `PathNotFoundException` (a subclass of `InvalidPathException`).
    PathNotFound,
    /// `InvalidPathException`.
    InvalidPath,
    /// Any other exception (`JsonPathException`, `NumberFormatException`, an index out of the
    /// string, …).
    Other,
}

impl Failure {
    fn is_invalid_path(self) -> bool {
        matches!(self, Failure::PathNotFound | Failure::InvalidPath)
    }
}

type Outcome<T> = Result<T, Failure>;

#[derive(Debug, Clone, Copy)]
struct Options {
    suppress_exceptions: bool,
    require_properties: bool,
}

// ---------------------------------------------------------------------------------------------
// Compiled paths
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct CompiledPath {
    /// `$` or `@`.
    root: char,
    tokens: Vec<Token>,
}

#[derive(Debug, Clone)]
enum Token {
    /// `.name`, `['name']`, `['a','b']`.
    Property(Vec<String>),
    /// `[0]`, `[0,1]`.
    Indexes(Vec<i32>),
    /// `[1:]`, `[1:2]`, `[:2]`.
    Slice(Slice),
    /// `*`, `[*]`.
    Wildcard,
    /// `..`.
    Scan,
    /// `[?(...)]`.
    Predicate(Box<Expression>),
    /// `.name()` or `.name(parameters)`.
    Function {
        name: String,
        parameters: Vec<Parameter>,
    },
}

#[derive(Debug, Clone, Copy)]
enum Slice {
    From(i32),
    Between(i32, i32),
    To(i32),
}

#[derive(Debug, Clone)]
enum Parameter {
    Json(String),
    Path(CompiledPath),
}

/// The values found by one evaluation (`EvaluationContextImpl.valueResult`).
struct Results {
    values: Vec<Value>,
}

impl Results {
    /// `EvaluationContextImpl.getValue`: the last value of a definite path (an error when there is
    /// none), the whole list of an indefinite one.
    fn value(self, definite: bool) -> Outcome<PathValue> {
        if definite {
            self.values
                .into_iter()
                .next_back()
                .map(PathValue::Single)
                .ok_or(Failure::PathNotFound)
        } else {
            Ok(PathValue::List(self.values))
        }
    }
}

impl CompiledPath {
    fn is_definite(&self) -> bool {
        (0..self.tokens.len()).all(|index| self.is_token_definite(index))
    }

    fn is_root_path(&self) -> bool {
        self.root == '$'
    }

    fn is_leaf(&self, index: usize) -> bool {
        index + 1 >= self.tokens.len()
    }

    fn is_token_definite(&self, index: usize) -> bool {
        match self.tokens.get(index) {
            Some(Token::Property(names)) => names.len() == 1 || self.is_leaf(index),
            Some(Token::Indexes(indexes)) => indexes.len() == 1,
            Some(Token::Function { .. }) => true,
            Some(Token::Slice(_) | Token::Wildcard | Token::Scan | Token::Predicate(_)) => false,
            None => true,
        }
    }

    fn is_upstream_definite(&self, index: usize) -> bool {
        (0..index).all(|before| self.is_token_definite(before))
    }

    /// `CompiledPath.evaluate(document, rootDocument, configuration)`.
    fn evaluate(
        &self,
        document: &Value,
        root: &Value,
        options: Options,
        depth: usize,
    ) -> Outcome<Results> {
        if depth > MAXIMUM_NESTING {
            return Err(Failure::Other);
        }
        let mut evaluation = Evaluation {
            path: self,
            root,
            options,
            depth,
            values: Vec::new(),
        };
        if self.tokens.is_empty() {
            evaluation.values.push(document.clone());
        } else {
            evaluation.token(0, document)?;
        }
        Ok(Results {
            values: evaluation.values,
        })
    }
}

struct Evaluation<'a> {
    path: &'a CompiledPath,
    root: &'a Value,
    options: Options,
    depth: usize,
    values: Vec<Value>,
}

impl Evaluation<'_> {
    fn add(&mut self, value: Value) {
        self.values.push(value);
    }

    fn token(&mut self, index: usize, model: &Value) -> Outcome<()> {
        let path = self.path;
        match path.tokens.get(index) {
            None => {
                self.add(model.clone());
                Ok(())
            }
            Some(Token::Property(names)) => self.property(index, names, model),
            Some(Token::Indexes(indexes)) => {
                if !self.check_array_model(index, model)? {
                    return Ok(());
                }
                for &array_index in indexes {
                    self.array_index(index, array_index, model)?;
                }
                Ok(())
            }
            Some(Token::Slice(slice)) => self.slice(index, *slice, model),
            Some(Token::Wildcard) => self.wildcard(index, model),
            Some(Token::Scan) => self.scan(index, model),
            Some(Token::Predicate(expression)) => self.predicate(index, expression, model),
            Some(Token::Function { name, parameters }) => {
                let result = self.function(name, parameters, model)?;
                if path.is_leaf(index) {
                    self.add(result);
                } else {
                    self.add(result.clone());
                    self.token(index + 1, &result)?;
                }
                Ok(())
            }
        }
    }

    /// `PropertyPathToken.evaluate`.
    fn property(&mut self, index: usize, names: &[String], model: &Value) -> Outcome<()> {
        if !model.is_object() {
            return if self.path.is_upstream_definite(index) {
                Err(Failure::PathNotFound)
            } else {
                Ok(())
            };
        }
        if names.len() == 1 || self.path.is_leaf(index) {
            self.object_property(index, names, model)
        } else {
            for name in names {
                self.object_property(index, std::slice::from_ref(name), model)?;
            }
            Ok(())
        }
    }

    /// `PathToken.handleObjectProperty`.
    fn object_property(&mut self, index: usize, names: &[String], model: &Value) -> Outcome<()> {
        let Value::Object(map) = model else {
            return Ok(());
        };
        if let [name] = names {
            match map.get(name) {
                None => {
                    let options = self.options;
                    if self.path.is_leaf(index) {
                        if options.suppress_exceptions || !options.require_properties {
                            Ok(())
                        } else {
                            Err(Failure::PathNotFound)
                        }
                    } else {
                        let definite = self.path.is_upstream_definite(index)
                            && self.path.is_token_definite(index);
                        if (!definite && !options.require_properties) || options.suppress_exceptions
                        {
                            Ok(())
                        } else {
                            Err(Failure::PathNotFound)
                        }
                    }
                }
                Some(value) => {
                    if self.path.is_leaf(index) {
                        self.add(value.clone());
                        Ok(())
                    } else {
                        self.token(index + 1, value)
                    }
                }
            }
        } else {
            let mut merged = Map::new();
            for name in names {
                match map.get(name) {
                    Some(value) => {
                        merged.insert(name.clone(), value.clone());
                    }
                    None if self.options.require_properties => return Err(Failure::PathNotFound),
                    None => {}
                }
            }
            self.add(Value::Object(merged));
            Ok(())
        }
    }

    /// `ArrayPathToken.checkArrayModel`.
    fn check_array_model(&self, index: usize, model: &Value) -> Outcome<bool> {
        if model.is_array() {
            Ok(true)
        } else if self.path.is_upstream_definite(index) {
            Err(Failure::PathNotFound)
        } else {
            Ok(false)
        }
    }

    /// `PathToken.handleArrayIndex`: an index outside the list is skipped.
    fn array_index(&mut self, index: usize, array_index: i32, model: &Value) -> Outcome<()> {
        let Value::Array(items) = model else {
            return Ok(());
        };
        let length = i64::try_from(items.len()).unwrap_or(i64::MAX);
        let effective = if array_index < 0 {
            length + i64::from(array_index)
        } else {
            i64::from(array_index)
        };
        let Some(hit) = usize::try_from(effective)
            .ok()
            .and_then(|position| items.get(position))
        else {
            return Ok(());
        };
        if self.path.is_leaf(index) {
            self.add(hit.clone());
            Ok(())
        } else {
            self.token(index + 1, hit)
        }
    }

    /// `ArrayPathToken.evaluateSliceOperation`.
    fn slice(&mut self, index: usize, slice: Slice, model: &Value) -> Outcome<()> {
        if !self.check_array_model(index, model)? {
            return Ok(());
        }
        let length = model.as_array().map_or(0, Vec::len);
        let length = i32::try_from(length).unwrap_or(i32::MAX);
        let (from, to) = match slice {
            Slice::From(from) => {
                let from = if from < 0 { length + from } else { from }.max(0);
                if length == 0 || from >= length {
                    return Ok(());
                }
                (from, length)
            }
            Slice::Between(from, to) => {
                let to = to.min(length);
                if from >= to || length == 0 {
                    return Ok(());
                }
                (from, to)
            }
            Slice::To(to) => {
                if length == 0 {
                    return Ok(());
                }
                let to = if to < 0 { length + to } else { to }.min(length);
                (0, to)
            }
        };
        for array_index in from..to {
            self.array_index(index, array_index, model)?;
        }
        Ok(())
    }

    /// `WildcardPathToken.evaluate`.
    fn wildcard(&mut self, index: usize, model: &Value) -> Outcome<()> {
        match model {
            Value::Object(map) => {
                for key in map.keys() {
                    self.object_property(index, std::slice::from_ref(key), model)?;
                }
                Ok(())
            }
            Value::Array(items) => {
                for array_index in 0..items.len() {
                    let array_index = i32::try_from(array_index).unwrap_or(i32::MAX);
                    match self.array_index(index, array_index, model) {
                        Err(Failure::PathNotFound) if !self.options.require_properties => {}
                        other => other?,
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// `ScanPathToken.evaluate`: walks the tree, node before children.
    fn scan(&mut self, index: usize, model: &Value) -> Outcome<()> {
        let target = index + 1;
        if target >= self.path.tokens.len() {
            return Ok(());
        }
        self.walk(target, model)
    }

    fn walk(&mut self, target: usize, model: &Value) -> Outcome<()> {
        match model {
            Value::Object(map) => {
                if self.scan_matches(target, model)? {
                    self.token(target, model)?;
                }
                for value in map.values() {
                    self.walk(target, value)?;
                }
                Ok(())
            }
            Value::Array(items) => {
                if self.scan_matches(target, model)? {
                    if self.path.is_leaf(target) {
                        self.token(target, model)?;
                    } else {
                        for item in items {
                            self.token(target + 1, item)?;
                        }
                    }
                }
                for item in items {
                    self.walk(target, item)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The predicate `ScanPathToken.createScanPredicate` makes for the token after `..`.
    fn scan_matches(&self, target: usize, model: &Value) -> Outcome<bool> {
        match self.path.tokens.get(target) {
            Some(Token::Property(names)) => {
                let Value::Object(map) = model else {
                    return Ok(false);
                };
                if !self.path.is_token_definite(target) {
                    return Ok(true);
                }
                Ok(names.iter().all(|name| map.contains_key(name)))
            }
            Some(Token::Indexes(_) | Token::Slice(_)) => Ok(model.is_array()),
            Some(Token::Wildcard) => Ok(true),
            Some(Token::Predicate(expression)) => self.accept(expression, model),
            _ => Ok(false),
        }
    }

    /// `PredicatePathToken.evaluate`.
    fn predicate(&mut self, index: usize, expression: &Expression, model: &Value) -> Outcome<()> {
        match model {
            Value::Object(_) => {
                if self.accept(expression, model)? {
                    if self.path.is_leaf(index) {
                        self.add(model.clone());
                    } else {
                        self.token(index + 1, model)?;
                    }
                }
                Ok(())
            }
            Value::Array(items) => {
                for (position, item) in items.iter().enumerate() {
                    if self.accept(expression, item)? {
                        let array_index = i32::try_from(position).unwrap_or(i32::MAX);
                        self.array_index(index, array_index, model)?;
                    }
                }
                Ok(())
            }
            _ => {
                if self.path.is_upstream_definite(index) {
                    Err(Failure::InvalidPath)
                } else {
                    Ok(())
                }
            }
        }
    }

    /// `PredicatePathToken.accept`: an `InvalidPathException` rejects the item, any other
    /// exception ends the evaluation.
    fn accept(&self, expression: &Expression, item: &Value) -> Outcome<bool> {
        let context = PredicateContext {
            item,
            root: self.root,
            options: self.options,
            depth: self.depth + 1,
        };
        match expression.apply(&context) {
            Ok(accepted) => Ok(accepted),
            Err(failure) if failure.is_invalid_path() => Ok(false),
            Err(failure) => Err(failure),
        }
    }

    /// `FunctionPathToken.evaluate`: the function applied to the current value.
    fn function(&self, name: &str, parameters: &[Parameter], model: &Value) -> Outcome<Value> {
        let parameter_value = |parameter: &Parameter| -> Outcome<Value> {
            match parameter {
                Parameter::Json(text) => parse_permissive_json(text).ok_or(Failure::Other),
                Parameter::Path(path) => {
                    let definite = path.is_definite();
                    let results =
                        path.evaluate(self.root, self.root, self.options, self.depth + 1)?;
                    Ok(results.value(definite)?.into_value())
                }
            }
        };
        match name {
            "length" | "size" => Ok(match model {
                Value::Array(items) => Value::from(items.len()),
                Value::Object(map) => Value::from(map.len()),
                _ => Value::Null,
            }),
            "sum" | "avg" | "min" | "max" | "stddev" => {
                let mut numbers = Vec::new();
                if let Value::Array(items) = model {
                    numbers.extend(items.iter().filter_map(Value::as_f64));
                }
                for parameter in parameters {
                    if let Value::Number(number) = parameter_value(parameter)? {
                        numbers.push(number.as_f64().unwrap_or(0.0));
                    }
                }
                if numbers.is_empty() {
                    return Err(Failure::Other);
                }
                let count = numbers.len() as f64;
                let sum: f64 = numbers.iter().sum();
                let result = match name {
                    "sum" => sum,
                    "avg" => sum / count,
                    "min" => numbers.iter().copied().fold(f64::MAX, |min, number| {
                        if min > number { number } else { min }
                    }),
                    "max" => numbers
                        .iter()
                        .copied()
                        .fold(
                            f64::from_bits(1),
                            |max, number| {
                                if max < number { number } else { max }
                            },
                        ),
                    _ => {
                        let squares: f64 = numbers.iter().map(|number| number * number).sum();
                        (squares / count - sum * sum / count / count).sqrt()
                    }
                };
                Ok(Number::from_f64(result).map_or(Value::Null, Value::Number))
            }
            "concat" => {
                let mut text = String::new();
                if let Value::Array(items) = model {
                    for item in items {
                        if let Value::String(item) = item {
                            text.push_str(item);
                        }
                    }
                }
                for parameter in parameters {
                    let value = parameter_value(parameter)?;
                    if !value.is_null() {
                        text.push_str(&to_java_string(&value));
                    }
                }
                Ok(Value::String(text))
            }
            "append" => {
                let mut result = model.clone();
                for parameter in parameters {
                    let value = parameter_value(parameter)?;
                    if let Value::Array(items) = &mut result {
                        items.push(value);
                    }
                }
                Ok(result)
            }
            _ => Err(Failure::InvalidPath),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The path compiler (`PathCompiler` over `CharacterIndex`)
// ---------------------------------------------------------------------------------------------

/// `com.jayway.jsonpath.internal.CharacterIndex`: a cursor with a movable end. Reads past the end
/// position but inside the text succeed (as `CharSequence.charAt` does); reads outside the text
/// are `StringIndexOutOfBoundsException`s ([`Failure::Other`]).
#[derive(Debug, Clone)]
struct CharacterIndex {
    characters: Vec<char>,
    position: i64,
    end_position: i64,
}

impl CharacterIndex {
    fn new(text: &str) -> Self {
        let characters: Vec<char> = text.chars().collect();
        let end_position = i64::try_from(characters.len()).unwrap_or(i64::MAX) - 1;
        CharacterIndex {
            characters,
            position: 0,
            end_position,
        }
    }

    fn length(&self) -> i64 {
        self.end_position + 1
    }

    fn char_at(&self, index: i64) -> Outcome<char> {
        usize::try_from(index)
            .ok()
            .and_then(|index| self.characters.get(index))
            .copied()
            .ok_or(Failure::Other)
    }

    fn current_char(&self) -> Outcome<char> {
        self.char_at(self.position)
    }

    fn current_char_is(&self, character: char) -> Outcome<bool> {
        Ok(self.current_char()? == character)
    }

    fn last_char_is(&self, character: char) -> Outcome<bool> {
        Ok(self.char_at(self.end_position)? == character)
    }

    fn next_char_is(&self, character: char) -> bool {
        self.in_bounds(self.position + 1) && self.char_at(self.position + 1).ok() == Some(character)
    }

    fn increment_position(&mut self, count: i64) {
        self.position += count;
    }

    fn set_position(&mut self, position: i64) {
        self.position = position;
    }

    fn in_bounds(&self, index: i64) -> bool {
        index >= 0 && index <= self.end_position
    }

    fn in_bounds_here(&self) -> bool {
        self.in_bounds(self.position)
    }

    fn is_out_of_bounds(&self, index: i64) -> bool {
        !self.in_bounds(index)
    }

    fn current_is_tail(&self) -> bool {
        self.position >= self.end_position
    }

    fn has_more_characters(&self) -> bool {
        self.in_bounds(self.position + 1)
    }

    fn substring(&self, start: i64, end: i64) -> Outcome<String> {
        let start = usize::try_from(start).map_err(|_| Failure::Other)?;
        let end = usize::try_from(end).map_err(|_| Failure::Other)?;
        if start > end || end > self.characters.len() {
            return Err(Failure::Other);
        }
        Ok(self
            .characters
            .get(start..end)
            .map(|slice| slice.iter().collect())
            .unwrap_or_default())
    }

    fn index_of_next_significant_char(&self, start: i64, character: char) -> Outcome<i64> {
        let mut read = start + 1;
        while !self.is_out_of_bounds(read) && self.char_at(read)? == ' ' {
            read += 1;
        }
        if self.char_at(read)? == character {
            Ok(read)
        } else {
            Ok(-1)
        }
    }

    fn next_index_of(&self, start: i64, character: char) -> Outcome<i64> {
        let mut read = start;
        while !self.is_out_of_bounds(read) {
            if self.char_at(read)? == character {
                return Ok(read);
            }
            read += 1;
        }
        Ok(-1)
    }

    fn next_index_of_unescaped(&self, start: i64, character: char) -> Outcome<i64> {
        let mut read = start + 1;
        let mut in_escape = false;
        while !self.is_out_of_bounds(read) {
            let current = self.char_at(read)?;
            if in_escape {
                in_escape = false;
            } else if current == '\\' {
                in_escape = true;
            } else if current == character {
                return Ok(read);
            }
            read += 1;
        }
        Ok(-1)
    }

    fn next_significant_char_is(&self, start: i64, character: char) -> Outcome<bool> {
        let mut read = start + 1;
        while !self.is_out_of_bounds(read) && self.char_at(read)? == ' ' {
            read += 1;
        }
        Ok(!self.is_out_of_bounds(read) && self.char_at(read)? == character)
    }

    fn next_significant_char(&self, start: i64) -> Outcome<char> {
        let mut read = start + 1;
        while !self.is_out_of_bounds(read) && self.char_at(read)? == ' ' {
            read += 1;
        }
        if self.is_out_of_bounds(read) {
            Ok(' ')
        } else {
            self.char_at(read)
        }
    }

    fn index_of_previous_significant_char(&self, start: i64) -> Outcome<i64> {
        let mut read = start - 1;
        while !self.is_out_of_bounds(read) && self.char_at(read)? == ' ' {
            read -= 1;
        }
        Ok(if self.is_out_of_bounds(read) {
            -1
        } else {
            read
        })
    }

    fn previous_significant_char(&self) -> Outcome<char> {
        let index = self.index_of_previous_significant_char(self.position)?;
        if index == -1 {
            Ok(' ')
        } else {
            self.char_at(index)
        }
    }

    fn index_of_matching_close_char(
        &self,
        start: i64,
        open: char,
        close: char,
        skip_strings: bool,
        skip_regex: bool,
    ) -> Outcome<i64> {
        if self.char_at(start)? != open {
            return Err(Failure::InvalidPath);
        }
        let mut opened = 1;
        let mut read = start + 1;
        while self.in_bounds(read) {
            if skip_strings {
                let quote = self.char_at(read)?;
                if quote == '\'' || quote == '"' {
                    read = self.next_index_of_unescaped(read, quote)?;
                    if read == -1 {
                        return Err(Failure::InvalidPath);
                    }
                    read += 1;
                }
            }
            if skip_regex && self.char_at(read)? == '/' {
                read = self.next_index_of_unescaped(read, '/')?;
                if read == -1 {
                    return Err(Failure::InvalidPath);
                }
                read += 1;
            }
            if self.char_at(read)? == open {
                opened += 1;
            }
            if self.char_at(read)? == close {
                opened -= 1;
                if opened == 0 {
                    return Ok(read);
                }
            }
            read += 1;
        }
        Ok(-1)
    }

    fn skip_blanks(&mut self) -> Outcome<()> {
        while self.in_bounds_here()
            && self.position < self.end_position
            && self.current_char()? == ' '
        {
            self.increment_position(1);
        }
        Ok(())
    }

    fn trim(&mut self) -> Outcome<()> {
        self.skip_blanks()?;
        while self.in_bounds_here()
            && self.position < self.end_position
            && self.last_char_is(' ')?
        {
            self.end_position -= 1;
        }
        Ok(())
    }

    fn read_significant_char(&mut self, character: char) -> Outcome<()> {
        self.skip_blanks()?;
        if self.current_char()? != character {
            return Err(Failure::InvalidPath);
        }
        self.increment_position(1);
        Ok(())
    }

    fn read_significant_sub_sequence(&mut self, text: &str) -> Outcome<()> {
        self.skip_blanks()?;
        let length = i64::try_from(text.chars().count()).unwrap_or(i64::MAX);
        if !self.in_bounds(self.position + length - 1) {
            return Err(Failure::InvalidPath);
        }
        if self.substring(self.position, self.position + length)? != text {
            return Err(Failure::InvalidPath);
        }
        self.increment_position(length);
        Ok(())
    }
}

/// `PathCompiler.compile(path)`; every failure is an `InvalidPathException`.
fn compile(path: &str) -> Outcome<CompiledPath> {
    compile_path(path, 0).map_err(|_| Failure::InvalidPath)
}

fn compile_path(path: &str, depth: usize) -> Outcome<CompiledPath> {
    if depth > MAXIMUM_NESTING {
        return Err(Failure::InvalidPath);
    }
    let mut index = CharacterIndex::new(path);
    index.trim()?;
    let first = index.char_at(0)?;
    if first != '$' && first != '@' {
        index = CharacterIndex::new(&format!("$.{path}"));
        index.trim()?;
    }
    if index.last_char_is('.')? {
        return Err(Failure::InvalidPath);
    }
    PathCompiler {
        path: index,
        tokens: Vec::new(),
        depth,
    }
    .compile()
}

/// `new PathCompiler(text, predicates).compile()` for a function parameter: no trimming and no
/// implicit `$.`.
fn compile_raw_path(text: &str, depth: usize) -> Outcome<CompiledPath> {
    if depth > MAXIMUM_NESTING {
        return Err(Failure::InvalidPath);
    }
    PathCompiler {
        path: CharacterIndex::new(text),
        tokens: Vec::new(),
        depth,
    }
    .compile()
}

struct PathCompiler {
    path: CharacterIndex,
    tokens: Vec<Token>,
    depth: usize,
}

fn is_whitespace(character: char) -> bool {
    matches!(character, ' ' | '\t' | '\n' | '\r')
}

fn is_path_context(character: char) -> bool {
    character == '$' || character == '@'
}

/// `Character.isDigit`, limited to ASCII digits (Jayway also accepts other Unicode digits).
fn is_digit(character: char) -> bool {
    character.is_ascii_digit()
}

impl PathCompiler {
    fn compile(mut self) -> Outcome<CompiledPath> {
        let root = self.read_context_token()?;
        Ok(CompiledPath {
            root,
            tokens: self.tokens,
        })
    }

    fn append(&mut self, token: Token) -> Outcome<()> {
        if self.tokens.len() >= MAXIMUM_TOKENS {
            return Err(Failure::InvalidPath);
        }
        self.tokens.push(token);
        Ok(())
    }

    fn fail<T>(&self) -> Outcome<T> {
        Err(Failure::InvalidPath)
    }

    fn read_whitespace(&mut self) -> Outcome<()> {
        while self.path.in_bounds_here() {
            if !is_whitespace(self.path.current_char()?) {
                break;
            }
            self.path.increment_position(1);
        }
        Ok(())
    }

    fn read_context_token(&mut self) -> Outcome<char> {
        self.read_whitespace()?;
        let root = self.path.current_char()?;
        if !is_path_context(root) {
            return self.fail();
        }
        if self.path.current_is_tail() {
            return Ok(root);
        }
        self.path.increment_position(1);
        let next = self.path.current_char()?;
        if next != '.' && next != '[' {
            return self.fail();
        }
        self.read_next_token()?;
        Ok(root)
    }

    fn continue_or_done(&mut self) -> Outcome<bool> {
        if self.path.current_is_tail() {
            Ok(true)
        } else {
            self.read_next_token()
        }
    }

    fn read_next_token(&mut self) -> Outcome<bool> {
        match self.path.current_char()? {
            '[' => {
                if self.read_bracket_property_token()?
                    || self.read_array_token()?
                    || self.read_wildcard_token()?
                    || self.read_filter_token()?
                    || self.read_placeholder_token()?
                {
                    Ok(true)
                } else {
                    self.fail()
                }
            }
            '.' => {
                if self.read_dot_token()? {
                    Ok(true)
                } else {
                    self.fail()
                }
            }
            '*' => {
                if self.read_wildcard_token()? {
                    Ok(true)
                } else {
                    self.fail()
                }
            }
            _ => {
                if self.read_property_or_function_token()? {
                    Ok(true)
                } else {
                    self.fail()
                }
            }
        }
    }

    fn read_dot_token(&mut self) -> Outcome<bool> {
        if self.path.current_char_is('.')? && self.path.next_char_is('.') {
            self.append(Token::Scan)?;
            self.path.increment_position(2);
        } else if !self.path.has_more_characters() {
            return self.fail();
        } else {
            self.path.increment_position(1);
        }
        if self.path.current_char_is('.')? {
            return self.fail();
        }
        self.read_next_token()
    }

    fn read_property_or_function_token(&mut self) -> Outcome<bool> {
        let current = self.path.current_char()?;
        if matches!(current, '[' | '*' | '.' | ' ') {
            return Ok(false);
        }
        let start = self.path.position;
        let mut read = start;
        let mut end = 0;
        let mut is_function = false;
        while self.path.in_bounds(read) {
            let character = self.path.char_at(read)?;
            if character == ' ' {
                return self.fail();
            } else if character == '.' || character == '[' {
                end = read;
                break;
            } else if character == '(' {
                is_function = true;
                end = read;
                read += 1;
                break;
            }
            read += 1;
        }
        if end == 0 {
            end = self.path.length();
        }
        let mut parameters = Vec::new();
        if is_function {
            if self.path.in_bounds(read + 1) {
                if self.path.char_at(read + 1)? != ')' {
                    self.path.set_position(end + 1);
                    parameters = self.parse_function_parameters()?;
                } else {
                    self.path.set_position(read + 1);
                }
            } else {
                self.path.set_position(read);
            }
        } else {
            self.path.set_position(end);
        }
        let name = self.path.substring(start, end)?;
        if is_function {
            self.append(Token::Function { name, parameters })?;
        } else {
            self.append(Token::Property(vec![name]))?;
        }
        self.continue_or_done()
    }

    /// `PathCompiler.parseFunctionParameters`, including its quirks (a `)` inside a parameter is
    /// copied twice).
    fn parse_function_parameters(&mut self) -> Outcome<Vec<Parameter>> {
        #[derive(Clone, Copy, PartialEq)]
        enum Kind {
            Json,
            Path,
        }
        let mut kind: Option<Kind> = None;
        let (mut parentheses, mut brackets, mut braces, mut quotes) = (1i64, 0i64, 0i64, 0i64);
        let mut end_of_stream = false;
        let mut prior = '\0';
        let mut parameters = Vec::new();
        let mut parameter = String::new();
        while self.path.in_bounds_here() && !end_of_stream {
            let character = self.path.current_char()?;
            self.path.increment_position(1);
            if kind.is_none() {
                if is_whitespace(character) {
                    continue;
                }
                if character == '{' || is_digit(character) || character == '"' {
                    kind = Some(Kind::Json);
                } else if is_path_context(character) {
                    kind = Some(Kind::Path);
                }
            }
            let mut closes = false;
            match character {
                '"' => {
                    if prior != '\\' && quotes > 0 {
                        quotes -= 1;
                    } else {
                        quotes += 1;
                    }
                }
                '(' => parentheses += 1,
                '{' => braces += 1,
                '[' => brackets += 1,
                '}' => {
                    if braces == 0 {
                        return self.fail();
                    }
                    braces -= 1;
                }
                ']' => {
                    if brackets == 0 {
                        return self.fail();
                    }
                    brackets -= 1;
                }
                ')' => {
                    parentheses -= 1;
                    if parentheses != 0 {
                        parameter.push(character);
                    }
                    closes = true;
                }
                ',' => closes = true,
                _ => {}
            }
            if closes
                && quotes == 0
                && braces == 0
                && brackets == 0
                && ((parentheses == 0 && character == ')') || parentheses == 1)
            {
                end_of_stream = parentheses == 0;
                if let Some(current) = kind {
                    let text = std::mem::take(&mut parameter);
                    parameters.push(match current {
                        Kind::Json => Parameter::Json(text),
                        Kind::Path => Parameter::Path(compile_raw_path(&text, self.depth + 1)?),
                    });
                    kind = None;
                }
            }
            if kind.is_some()
                && !(character == ',' && braces == 0 && brackets == 0 && parentheses == 1)
            {
                parameter.push(character);
            }
            prior = character;
        }
        if braces != 0 || parentheses != 0 || brackets != 0 {
            return self.fail();
        }
        Ok(parameters)
    }

    fn read_placeholder_token(&mut self) -> Outcome<bool> {
        if !self.path.current_char_is('[')? {
            return Ok(false);
        }
        let question_mark = self
            .path
            .index_of_next_significant_char(self.path.position, '?')?;
        if question_mark == -1 {
            return Ok(false);
        }
        let next = self.path.next_significant_char(question_mark)?;
        if next != ']' && next != ',' {
            return Ok(false);
        }
        let end = self.path.next_index_of(self.path.position + 1, ']')?;
        if end == -1 {
            return Ok(false);
        }
        // `[?]` placeholders take predicates passed to `compile`; Conductor passes none.
        self.fail()
    }

    fn read_filter_token(&mut self) -> Outcome<bool> {
        if !self.path.current_char_is('[')?
            && !self
                .path
                .next_significant_char_is(self.path.position, '?')?
        {
            return Ok(false);
        }
        let open_statement = self.path.position;
        let question_mark = self
            .path
            .index_of_next_significant_char(self.path.position, '?')?;
        if question_mark == -1 {
            return Ok(false);
        }
        let open_bracket = self
            .path
            .index_of_next_significant_char(question_mark, '(')?;
        if open_bracket == -1 {
            return Ok(false);
        }
        let close_bracket =
            self.path
                .index_of_matching_close_char(open_bracket, '(', ')', true, true)?;
        if close_bracket == -1 {
            return Ok(false);
        }
        if !self.path.next_significant_char_is(close_bracket, ']')? {
            return Ok(false);
        }
        let close_statement = self
            .path
            .index_of_next_significant_char(close_bracket, ']')?;
        let criteria = self.path.substring(open_statement, close_statement + 1)?;
        let expression = compile_filter(&criteria, self.depth + 1)?;
        self.append(Token::Predicate(Box::new(expression)))?;
        self.path.set_position(close_statement + 1);
        self.continue_or_done()
    }

    fn read_wildcard_token(&mut self) -> Outcome<bool> {
        let in_bracket = self.path.current_char_is('[')?;
        if in_bracket
            && !self
                .path
                .next_significant_char_is(self.path.position, '*')?
        {
            return Ok(false);
        }
        if !self.path.current_char_is('*')? && self.path.is_out_of_bounds(self.path.position + 1) {
            return Ok(false);
        }
        if in_bracket {
            let wildcard = self
                .path
                .index_of_next_significant_char(self.path.position, '*')?;
            if !self.path.next_significant_char_is(wildcard, ']')? {
                return self.fail();
            }
            let close = self.path.index_of_next_significant_char(wildcard, ']')?;
            self.path.set_position(close + 1);
        } else {
            self.path.increment_position(1);
        }
        self.append(Token::Wildcard)?;
        self.continue_or_done()
    }

    fn read_array_token(&mut self) -> Outcome<bool> {
        if !self.path.current_char_is('[')? {
            return Ok(false);
        }
        let next = self.path.next_significant_char(self.path.position)?;
        if !is_digit(next) && next != '-' && next != ':' {
            return Ok(false);
        }
        let begin = self.path.position + 1;
        let end = self.path.next_index_of(begin, ']')?;
        if end == -1 {
            return Ok(false);
        }
        let expression = self.path.substring(begin, end)?;
        let expression = java_trim(&expression).to_string();
        if expression == "*" {
            return Ok(false);
        }
        if !expression
            .chars()
            .all(|character| is_digit(character) || matches!(character, ',' | '-' | ':' | ' '))
        {
            return Ok(false);
        }
        if expression.contains(':') {
            let slice = parse_slice(&expression)?;
            self.append(Token::Slice(slice))?;
        } else {
            let indexes = parse_indexes(&expression)?;
            self.append(Token::Indexes(indexes))?;
        }
        self.path.set_position(end + 1);
        self.continue_or_done()
    }

    fn read_bracket_property_token(&mut self) -> Outcome<bool> {
        if !self.path.current_char_is('[')? {
            return Ok(false);
        }
        let delimiter = self.path.next_significant_char(self.path.position)?;
        if delimiter != '\'' && delimiter != '"' {
            return Ok(false);
        }
        let mut properties = Vec::new();
        let mut start = self.path.position + 1;
        let mut read = start;
        let mut end = 0;
        let mut in_property = false;
        let mut in_escape = false;
        let mut last_significant_was_comma = false;
        while self.path.in_bounds(read) {
            let character = self.path.char_at(read)?;
            if in_escape {
                in_escape = false;
            } else if character == '\\' {
                in_escape = true;
            } else if character == ']' && !in_property {
                if last_significant_was_comma {
                    return self.fail();
                }
                break;
            } else if character == delimiter {
                if in_property {
                    let next = self.path.next_significant_char(read)?;
                    if next != ']' && next != ',' {
                        return self.fail();
                    }
                    end = read;
                    let property = self.path.substring(start, end)?;
                    properties.push(unescape(&property)?);
                    in_property = false;
                } else {
                    start = read + 1;
                    in_property = true;
                    last_significant_was_comma = false;
                }
            } else if character == ',' {
                if last_significant_was_comma {
                    return self.fail();
                }
                last_significant_was_comma = true;
            }
            read += 1;
        }
        let end_bracket = self.path.index_of_next_significant_char(end, ']')? + 1;
        self.path.set_position(end_bracket);
        if properties.is_empty() {
            return self.fail();
        }
        self.append(Token::Property(properties))?;
        self.continue_or_done()
    }
}

/// `Integer.parseInt`.
fn parse_java_int(text: &str) -> Outcome<i32> {
    let digits = text
        .strip_prefix('-')
        .or_else(|| text.strip_prefix('+'))
        .unwrap_or(text);
    if digits.is_empty() || !digits.chars().all(|character| character.is_ascii_digit()) {
        return Err(Failure::Other);
    }
    text.parse::<i32>().map_err(|_| Failure::Other)
}

/// `String.split(regex)`: trailing empty strings are removed.
fn java_split(text: &str, separator: char) -> Vec<&str> {
    let mut parts: Vec<&str> = text.split(separator).collect();
    while parts.last().is_some_and(|part| part.is_empty()) {
        parts.pop();
    }
    parts
}

/// `ArraySliceOperation.parse`.
fn parse_slice(operation: &str) -> Outcome<Slice> {
    if !operation
        .chars()
        .all(|character| is_digit(character) || character == '-' || character == ':')
    {
        return Err(Failure::InvalidPath);
    }
    let tokens = java_split(operation, ':');
    let read = |position: usize| -> Outcome<Option<i32>> {
        match tokens.get(position) {
            None | Some(&"") => Ok(None),
            Some(token) => parse_java_int(token).map(Some),
        }
    };
    match (read(0)?, read(1)?) {
        (Some(from), None) => Ok(Slice::From(from)),
        (Some(from), Some(to)) => Ok(Slice::Between(from, to)),
        (None, Some(to)) => Ok(Slice::To(to)),
        (None, None) => Err(Failure::InvalidPath),
    }
}

/// `ArrayIndexOperation.parse` (split on `\s*,\s*`, keeping empty pieces, which then fail).
fn parse_indexes(operation: &str) -> Outcome<Vec<i32>> {
    if !operation
        .chars()
        .all(|character| is_digit(character) || matches!(character, ',' | ' ' | '-'))
    {
        return Err(Failure::InvalidPath);
    }
    operation
        .split(',')
        .map(|token| parse_java_int(token.trim_matches(' ')))
        .collect()
}

/// `Utils.unescape` of Jayway.
fn unescape(text: &str) -> Outcome<String> {
    let mut out = String::with_capacity(text.len());
    let mut characters = text.chars();
    let mut had_slash = false;
    while let Some(character) = characters.next() {
        if had_slash {
            had_slash = false;
            match character {
                'r' => out.push('\r'),
                'f' => out.push('\u{c}'),
                't' => out.push('\t'),
                'n' => out.push('\n'),
                'b' => out.push('\u{8}'),
                'u' => {
                    let hex: String = characters.by_ref().take(4).collect();
                    if hex.chars().count() < 4 {
                        // Jayway waits for four more characters and drops a shorter tail.
                        break;
                    }
                    let code = u32::from_str_radix(&hex, 16).map_err(|_| Failure::Other)?;
                    out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                }
                other => out.push(other),
            }
            continue;
        }
        if character == '\\' {
            had_slash = true;
            continue;
        }
        out.push(character);
    }
    if had_slash {
        out.push('\\');
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Filters (`FilterCompiler`, `ValueNode`, `EvaluatorFactory`)
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Expression {
    Relational {
        left: ValueNode,
        operator: Operator,
        right: ValueNode,
    },
    And(Vec<Expression>),
    Or(Vec<Expression>),
    Not(Box<Expression>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    GreaterOrEqual,
    LessOrEqual,
    Equal,
    TypeSafeEqual,
    NotEqual,
    TypeSafeNotEqual,
    Less,
    Greater,
    Regex,
    NotIn,
    In,
    Contains,
    All,
    Size,
    Exists,
    Type,
    Matches,
    Empty,
    SubsetOf,
}

impl Operator {
    /// `RelationalOperator.fromString` (compared in upper case).
    fn parse(text: &str) -> Outcome<Operator> {
        Ok(match text.to_uppercase().as_str() {
            ">=" => Operator::GreaterOrEqual,
            "<=" => Operator::LessOrEqual,
            "==" => Operator::Equal,
            "===" => Operator::TypeSafeEqual,
            "!=" => Operator::NotEqual,
            "!==" => Operator::TypeSafeNotEqual,
            "<" => Operator::Less,
            ">" => Operator::Greater,
            "=~" => Operator::Regex,
            "NIN" => Operator::NotIn,
            "IN" => Operator::In,
            "CONTAINS" => Operator::Contains,
            "ALL" => Operator::All,
            "SIZE" => Operator::Size,
            "EXISTS" => Operator::Exists,
            "TYPE" => Operator::Type,
            "MATCHES" => Operator::Matches,
            "EMPTY" => Operator::Empty,
            "SUBSETOF" => Operator::SubsetOf,
            _ => return Err(Failure::InvalidPath),
        })
    }
}

/// `ValueNode` and its subclasses.
#[derive(Debug, Clone)]
enum ValueNode {
    Path {
        path: Box<CompiledPath>,
        exists_check: bool,
        should_exist: bool,
    },
    String(String),
    /// `None` is `NumberNode.NAN` (a string that is not a number).
    Number(Option<Decimal>),
    Boolean(bool),
    Null,
    /// A JSON literal (`Unparsed`, parsed when used) or a list or map a path found (`Parsed`).
    Json(JsonNode),
    /// `/pattern/` or `/pattern/i`.
    Pattern,
    Undefined,
}

#[derive(Debug, Clone)]
enum JsonNode {
    Unparsed(String),
    Parsed(Value),
}

impl JsonNode {
    fn parse(&self) -> Outcome<Value> {
        match self {
            JsonNode::Unparsed(text) => parse_permissive_json(text).ok_or(Failure::Other),
            JsonNode::Parsed(value) => Ok(value.clone()),
        }
    }

    /// `JsonNode.asValueListNode(ctx)`: the elements of a list, `None` (UNDEFINED) otherwise.
    fn value_list(&self, depth: usize) -> Outcome<Option<Vec<ValueNode>>> {
        match self.parse()? {
            Value::Array(items) => items
                .iter()
                .map(|item| to_value_node(item, depth))
                .collect::<Outcome<Vec<_>>>()
                .map(Some),
            _ => Ok(None),
        }
    }

    /// `JsonNode.equals(JsonNode, ctx)`: this node's raw content against the other one parsed.
    fn equals(&self, other: &JsonNode) -> Outcome<bool> {
        let other = other.parse()?;
        Ok(match self {
            JsonNode::Unparsed(text) => other.as_str() == Some(text.as_str()),
            JsonNode::Parsed(value) => *value == other,
        })
    }
}

/// `ValueNode.toValueNode(Object)` for an element of a list.
fn to_value_node(value: &Value, depth: usize) -> Outcome<ValueNode> {
    Ok(match value {
        Value::Null => ValueNode::Null,
        Value::String(text) => {
            let trimmed = java_trim(text);
            let looks_like_path = (trimmed.starts_with('@') || trimmed.starts_with('$'))
                && compile_path(trimmed, depth + 1).is_ok();
            let looks_like_json = trimmed.chars().count() > 1
                && ((trimmed.starts_with('[') && trimmed.ends_with(']'))
                    || (trimmed.starts_with('{') && trimmed.ends_with('}')))
                && parse_permissive_json(trimmed).is_some();
            if looks_like_path {
                ValueNode::Path {
                    path: Box::new(compile_path(text, depth + 1)?),
                    exists_check: false,
                    should_exist: false,
                }
            } else if looks_like_json {
                ValueNode::Json(JsonNode::Unparsed(text.clone()))
            } else {
                ValueNode::String(unescape(text)?)
            }
        }
        Value::Number(number) => ValueNode::Number(Decimal::from_number(number)),
        Value::Bool(flag) => ValueNode::Boolean(*flag),
        Value::Array(_) | Value::Object(_) => return Err(Failure::Other),
    })
}

impl ValueNode {
    fn as_number(&self) -> Outcome<Option<Decimal>> {
        match self {
            ValueNode::Number(number) => Ok(number.clone()),
            ValueNode::String(text) => Ok(Decimal::parse(text)),
            _ => Err(Failure::InvalidPath),
        }
    }

    fn as_string(&self) -> Outcome<String> {
        match self {
            ValueNode::String(text) => Ok(text.clone()),
            ValueNode::Number(Some(number)) => Ok(number.to_java_string()),
            // `NumberNode.NAN.asStringNode()` dereferences a null BigDecimal.
            ValueNode::Number(None) => Err(Failure::Other),
            _ => Err(Failure::InvalidPath),
        }
    }

    fn as_boolean(&self) -> Outcome<bool> {
        match self {
            ValueNode::Boolean(flag) => Ok(*flag),
            _ => Err(Failure::InvalidPath),
        }
    }

    /// `left.equals(right)`, dispatched on the left node's class.
    fn java_equals(&self, other: &ValueNode) -> Outcome<bool> {
        Ok(match self {
            ValueNode::Number(number) => {
                if !matches!(other, ValueNode::Number(_) | ValueNode::String(_)) {
                    return Ok(false);
                }
                match (number, other.as_number()?) {
                    (_, None) => false,
                    (Some(own), Some(theirs)) => own.compare(&theirs) == Ordering::Equal,
                    // A NaN number node compared with a number dereferences null.
                    (None, Some(_)) => return Err(Failure::Other),
                }
            }
            ValueNode::String(text) => {
                if !matches!(other, ValueNode::Number(_) | ValueNode::String(_)) {
                    return Ok(false);
                }
                *text == other.as_string()?
            }
            ValueNode::Boolean(flag) => {
                matches!(other, ValueNode::Boolean(theirs) if theirs == flag)
            }
            ValueNode::Null => matches!(other, ValueNode::Null),
            ValueNode::Json(JsonNode::Unparsed(text)) => {
                matches!(other, ValueNode::Json(JsonNode::Unparsed(theirs)) if theirs == text)
            }
            ValueNode::Json(JsonNode::Parsed(value)) => {
                matches!(other, ValueNode::Json(JsonNode::Parsed(theirs)) if theirs == value)
            }
            ValueNode::Path { .. } | ValueNode::Pattern | ValueNode::Undefined => false,
        })
    }

    fn kind(&self) -> u8 {
        match self {
            ValueNode::Path { .. } => 0,
            ValueNode::String(_) => 1,
            ValueNode::Number(_) => 2,
            ValueNode::Boolean(_) => 3,
            ValueNode::Null => 4,
            ValueNode::Json(_) => 5,
            ValueNode::Pattern => 6,
            ValueNode::Undefined => 7,
        }
    }
}

struct PredicateContext<'a> {
    item: &'a Value,
    root: &'a Value,
    options: Options,
    depth: usize,
}

impl Expression {
    fn apply(&self, context: &PredicateContext<'_>) -> Outcome<bool> {
        if context.depth > MAXIMUM_NESTING {
            return Err(Failure::Other);
        }
        match self {
            Expression::Or(chain) => {
                for expression in chain {
                    if expression.apply(context)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Expression::And(chain) => {
                for expression in chain {
                    if !expression.apply(context)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Expression::Not(expression) => Ok(!expression.apply(context)?),
            Expression::Relational {
                left,
                operator,
                right,
            } => {
                let left = evaluate_node(left, context)?;
                let right = evaluate_node(right, context)?;
                compare(&left, *operator, &right, context.depth)
            }
        }
    }
}

/// `PathNode.evaluate(ctx)` for path operands; other nodes are values already.
fn evaluate_node(node: &ValueNode, context: &PredicateContext<'_>) -> Outcome<ValueNode> {
    let ValueNode::Path {
        path, exists_check, ..
    } = node
    else {
        return Ok(node.clone());
    };
    if *exists_check {
        let options = Options {
            suppress_exceptions: false,
            require_properties: true,
        };
        let definite = path.is_definite();
        let found = path
            .evaluate(context.item, context.root, options, context.depth + 1)
            .and_then(|results| results.value(definite));
        return match found {
            Ok(_) => Ok(ValueNode::Boolean(true)),
            Err(Failure::PathNotFound) => Ok(ValueNode::Boolean(false)),
            Err(failure) => Err(failure),
        };
    }
    let document = if path.is_root_path() {
        context.root
    } else {
        context.item
    };
    let definite = path.is_definite();
    let found = path
        .evaluate(document, context.root, context.options, context.depth + 1)
        .and_then(|results| results.value(definite));
    match found {
        Ok(PathValue::Single(value)) => Ok(match value {
            Value::Number(number) => ValueNode::Number(Decimal::from_number(&number)),
            Value::String(text) => ValueNode::String(text),
            Value::Bool(flag) => ValueNode::Boolean(flag),
            Value::Null => ValueNode::Null,
            other => ValueNode::Json(JsonNode::Parsed(other)),
        }),
        Ok(PathValue::List(items)) => Ok(ValueNode::Json(JsonNode::Parsed(Value::Array(items)))),
        Err(Failure::PathNotFound) => Ok(ValueNode::Undefined),
        Err(failure) => Err(failure),
    }
}

/// The evaluators of `EvaluatorFactory`.
fn compare(left: &ValueNode, operator: Operator, right: &ValueNode, depth: usize) -> Outcome<bool> {
    let equals = |left: &ValueNode, right: &ValueNode| -> Outcome<bool> {
        match (left, right) {
            (ValueNode::Json(own), ValueNode::Json(theirs)) => own.equals(theirs),
            _ => left.java_equals(right),
        }
    };
    let list_of = |node: &ValueNode| -> Outcome<Option<Vec<ValueNode>>> {
        match node {
            ValueNode::Json(json) => json.value_list(depth),
            _ => Err(Failure::InvalidPath),
        }
    };
    let contains = |list: &[ValueNode], node: &ValueNode| -> Outcome<bool> {
        for element in list {
            if node.java_equals(element)? {
                return Ok(true);
            }
        }
        Ok(false)
    };
    match operator {
        Operator::Exists => match (left, right) {
            (ValueNode::Boolean(own), ValueNode::Boolean(theirs)) => Ok(own == theirs),
            _ => Err(Failure::Other),
        },
        Operator::Equal => equals(left, right),
        Operator::NotEqual => Ok(!equals(left, right)?),
        Operator::TypeSafeEqual => Ok(left.kind() == right.kind() && equals(left, right)?),
        Operator::TypeSafeNotEqual => Ok(!(left.kind() == right.kind() && equals(left, right)?)),
        Operator::Less | Operator::LessOrEqual | Operator::Greater | Operator::GreaterOrEqual => {
            let ordering = match (left, right) {
                (ValueNode::Number(own), ValueNode::Number(theirs)) => match (own, theirs) {
                    (Some(own), Some(theirs)) => own.compare(theirs),
                    _ => return Err(Failure::Other),
                },
                (ValueNode::String(own), ValueNode::String(theirs)) => {
                    compare_java_strings(own, theirs)
                }
                _ => return Ok(false),
            };
            Ok(match operator {
                Operator::Less => ordering == Ordering::Less,
                Operator::LessOrEqual => ordering != Ordering::Greater,
                Operator::Greater => ordering == Ordering::Greater,
                _ => ordering != Ordering::Less,
            })
        }
        Operator::Size => {
            let ValueNode::Number(expected) = right else {
                return Ok(false);
            };
            let expected = expected.as_ref().ok_or(Failure::Other)?.int_value();
            match left {
                ValueNode::String(text) => {
                    Ok(i64::try_from(java_length(text)).unwrap_or(i64::MAX) == expected)
                }
                ValueNode::Json(json) => {
                    let length = match json.parse()? {
                        Value::Array(items) => i64::try_from(items.len()).unwrap_or(i64::MAX),
                        _ => -1,
                    };
                    Ok(length == expected)
                }
                _ => Ok(false),
            }
        }
        Operator::Empty => {
            let expected = right.as_boolean()?;
            match left {
                ValueNode::String(text) => Ok(text.is_empty() == expected),
                ValueNode::Json(json) => {
                    let empty = match json.parse()? {
                        Value::Array(items) => items.is_empty(),
                        Value::Object(map) => map.is_empty(),
                        Value::String(text) => text.is_empty(),
                        _ => true,
                    };
                    Ok(empty == expected)
                }
                _ => Ok(false),
            }
        }
        Operator::In | Operator::NotIn => {
            let found = match list_of(right)? {
                None => false,
                Some(list) => contains(&list, left)?,
            };
            Ok(if operator == Operator::In {
                found
            } else {
                !found
            })
        }
        Operator::Contains => match (left, right) {
            (ValueNode::String(own), ValueNode::String(theirs)) => {
                Ok(own.contains(theirs.as_str()))
            }
            (ValueNode::Json(json), _) => match json.value_list(depth)? {
                None => Ok(false),
                Some(list) => contains(&list, right),
            },
            _ => Ok(false),
        },
        Operator::SubsetOf => {
            let Some(superset) = list_of(right)? else {
                return Ok(false);
            };
            let Some(subset) = list_of(left)? else {
                return Ok(false);
            };
            for element in &subset {
                if !contains(&superset, element)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        // `right.asValueListNode()` / `asClassNode()` / `asPredicateNode()` cannot succeed for a
        // filter written as text.
        Operator::All | Operator::Type | Operator::Matches => Err(Failure::InvalidPath),
        // Java regular expressions are not reproduced.
        Operator::Regex => Ok(false),
    }
}

/// `FilterCompiler.compile(criteria)`.
fn compile_filter(criteria: &str, depth: usize) -> Outcome<Expression> {
    if depth > MAXIMUM_NESTING {
        return Err(Failure::InvalidPath);
    }
    let mut filter = CharacterIndex::new(criteria);
    filter.trim()?;
    if !filter.current_char_is('[')? || !filter.last_char_is(']')? {
        return Err(Failure::InvalidPath);
    }
    filter.increment_position(1);
    filter.end_position -= 1;
    filter.trim()?;
    if !filter.current_char_is('?')? {
        return Err(Failure::InvalidPath);
    }
    filter.increment_position(1);
    filter.trim()?;
    if !filter.current_char_is('(')? || !filter.last_char_is(')')? {
        return Err(Failure::InvalidPath);
    }
    let mut compiler = FilterCompiler { filter, depth };
    let expression = compiler.read_logical_or()?;
    compiler.filter.skip_blanks()?;
    if compiler.filter.in_bounds_here() {
        return Err(Failure::InvalidPath);
    }
    Ok(expression)
}

struct FilterCompiler {
    filter: CharacterIndex,
    depth: usize,
}

fn is_relational_operator_char(character: char) -> bool {
    matches!(character, '<' | '>' | '=' | '~' | '!')
}

impl FilterCompiler {
    fn read_logical_or(&mut self) -> Outcome<Expression> {
        let mut operands = vec![self.read_logical_and()?];
        loop {
            let savepoint = self.filter.position;
            let next = self
                .filter
                .read_significant_sub_sequence("||")
                .and_then(|()| self.read_logical_and());
            match next {
                Ok(operand) => operands.push(operand),
                Err(failure) if failure.is_invalid_path() => {
                    self.filter.set_position(savepoint);
                    break;
                }
                Err(failure) => return Err(failure),
            }
        }
        Ok(if operands.len() == 1 {
            operands.remove(0)
        } else {
            Expression::Or(operands)
        })
    }

    fn read_logical_and(&mut self) -> Outcome<Expression> {
        let mut operands = vec![self.read_logical_and_operand()?];
        loop {
            let savepoint = self.filter.position;
            let next = self
                .filter
                .read_significant_sub_sequence("&&")
                .and_then(|()| self.read_logical_and_operand());
            match next {
                Ok(operand) => operands.push(operand),
                Err(failure) if failure.is_invalid_path() => {
                    self.filter.set_position(savepoint);
                    break;
                }
                Err(failure) => return Err(failure),
            }
        }
        Ok(if operands.len() == 1 {
            operands.remove(0)
        } else {
            Expression::And(operands)
        })
    }

    fn read_logical_and_operand(&mut self) -> Outcome<Expression> {
        self.depth += 1;
        if self.depth > MAXIMUM_NESTING * 4 {
            return Err(Failure::Other);
        }
        let result = self.read_logical_and_operand_inner();
        self.depth -= 1;
        result
    }

    fn read_logical_and_operand_inner(&mut self) -> Outcome<Expression> {
        self.filter.skip_blanks()?;
        let savepoint = self.filter.position;
        self.filter.skip_blanks()?;
        if self.filter.current_char_is('!')? {
            self.filter.read_significant_char('!')?;
            self.filter.skip_blanks()?;
            match self.filter.current_char()? {
                '$' | '@' => self.filter.set_position(savepoint),
                _ => {
                    let operand = self.read_logical_and_operand()?;
                    return Ok(Expression::Not(Box::new(operand)));
                }
            }
        }
        self.filter.skip_blanks()?;
        if self.filter.current_char_is('(')? {
            self.filter.read_significant_char('(')?;
            let operand = self.read_logical_or()?;
            self.filter.read_significant_char(')')?;
            return Ok(operand);
        }
        self.read_expression()
    }

    fn read_expression(&mut self) -> Outcome<Expression> {
        let left = self.read_value_node()?;
        let savepoint = self.filter.position;
        let relational = self
            .read_relational_operator()
            .and_then(|operator| Ok((operator, self.read_value_node()?)));
        match relational {
            Ok((operator, right)) => {
                return Ok(Expression::Relational {
                    left,
                    operator,
                    right,
                });
            }
            Err(failure) if failure.is_invalid_path() => self.filter.set_position(savepoint),
            Err(failure) => return Err(failure),
        }
        let ValueNode::Path {
            path, should_exist, ..
        } = left
        else {
            return Err(Failure::InvalidPath);
        };
        Ok(Expression::Relational {
            left: ValueNode::Path {
                path,
                exists_check: true,
                should_exist,
            },
            operator: Operator::Exists,
            right: ValueNode::Boolean(should_exist),
        })
    }

    fn read_relational_operator(&mut self) -> Outcome<Operator> {
        self.filter.skip_blanks()?;
        let begin = self.filter.position;
        if is_relational_operator_char(self.filter.current_char()?) {
            while self.filter.in_bounds_here()
                && is_relational_operator_char(self.filter.current_char()?)
            {
                self.filter.increment_position(1);
            }
        } else {
            while self.filter.in_bounds_here() && self.filter.current_char()? != ' ' {
                self.filter.increment_position(1);
            }
        }
        let operator = self.filter.substring(begin, self.filter.position)?;
        Operator::parse(&operator)
    }

    fn read_value_node(&mut self) -> Outcome<ValueNode> {
        self.filter.skip_blanks()?;
        match self.filter.current_char()? {
            '$' | '@' => self.read_path(),
            '!' => {
                self.filter.increment_position(1);
                self.filter.skip_blanks()?;
                match self.filter.current_char()? {
                    '$' | '@' => self.read_path(),
                    _ => Err(Failure::InvalidPath),
                }
            }
            _ => self.read_literal(),
        }
    }

    fn read_literal(&mut self) -> Outcome<ValueNode> {
        self.filter.skip_blanks()?;
        match self.filter.current_char()? {
            '\'' => self.read_string_literal('\''),
            '"' => self.read_string_literal('"'),
            't' | 'f' => self.read_boolean_literal(),
            'n' => self.read_null_literal(),
            '{' => self.read_json_literal('{', '}'),
            '[' => self.read_json_literal('[', ']'),
            '/' => self.read_pattern(),
            _ => self.read_number_literal(),
        }
    }

    fn read_null_literal(&mut self) -> Outcome<ValueNode> {
        let position = self.filter.position;
        if self.filter.current_char()? == 'n'
            && self.filter.in_bounds(position + 3)
            && self.filter.substring(position, position + 4)? == "null"
        {
            self.filter.increment_position(4);
            return Ok(ValueNode::Null);
        }
        Err(Failure::InvalidPath)
    }

    fn read_json_literal(&mut self, open: char, close: char) -> Outcome<ValueNode> {
        let begin = self.filter.position;
        let closing = self
            .filter
            .index_of_matching_close_char(begin, open, close, true, false)?;
        if closing == -1 {
            return Err(Failure::InvalidPath);
        }
        self.filter.set_position(closing + 1);
        let json = self.filter.substring(begin, self.filter.position)?;
        Ok(ValueNode::Json(JsonNode::Unparsed(json)))
    }

    fn read_pattern(&mut self) -> Outcome<ValueNode> {
        let closing = self
            .filter
            .next_index_of_unescaped(self.filter.position, '/')?;
        if closing == -1 {
            return Err(Failure::InvalidPath);
        }
        let mut closing = closing;
        if self.filter.in_bounds(closing + 1) && self.filter.char_at(closing + 1)? == 'i' {
            closing += 1;
        }
        self.filter.set_position(closing + 1);
        Ok(ValueNode::Pattern)
    }

    fn read_string_literal(&mut self, end: char) -> Outcome<ValueNode> {
        let begin = self.filter.position;
        let closing = self.filter.next_index_of_unescaped(begin, end)?;
        if closing == -1 {
            return Err(Failure::InvalidPath);
        }
        self.filter.set_position(closing + 1);
        let literal = self.filter.substring(begin, self.filter.position)?;
        let characters: Vec<char> = literal.chars().collect();
        let inner: String = if characters.len() > 1
            && characters.first() == characters.last()
            && matches!(characters.first(), Some('\'' | '"'))
        {
            characters
                .get(1..characters.len() - 1)
                .map(|slice| slice.iter().collect())
                .unwrap_or_default()
        } else {
            literal
        };
        Ok(ValueNode::String(unescape(&inner)?))
    }

    fn read_number_literal(&mut self) -> Outcome<ValueNode> {
        let begin = self.filter.position;
        while self.filter.in_bounds_here() {
            let character = self.filter.current_char()?;
            if !(is_digit(character) || character == '-' || character == '.') {
                break;
            }
            self.filter.increment_position(1);
        }
        let literal = self.filter.substring(begin, self.filter.position)?;
        // `new BigDecimal(literal)`: a NumberFormatException, not an InvalidPathException.
        Decimal::parse(&literal)
            .map(|number| ValueNode::Number(Some(number)))
            .ok_or(Failure::Other)
    }

    fn read_boolean_literal(&mut self) -> Outcome<ValueNode> {
        let begin = self.filter.position;
        let end = if self.filter.current_char()? == 't' {
            begin + 3
        } else {
            begin + 4
        };
        if !self.filter.in_bounds(end) {
            return Err(Failure::InvalidPath);
        }
        let literal = self.filter.substring(begin, end + 1)?;
        let value = match literal.as_str() {
            "true" => true,
            "false" => false,
            _ => return Err(Failure::InvalidPath),
        };
        self.filter
            .increment_position(i64::try_from(literal.chars().count()).unwrap_or(0));
        Ok(ValueNode::Boolean(value))
    }

    fn read_path(&mut self) -> Outcome<ValueNode> {
        let previous = self.filter.previous_significant_char()?;
        let begin = self.filter.position;
        self.filter.increment_position(1);
        while self.filter.in_bounds_here() {
            if self.filter.current_char()? == '[' {
                let closing = self.filter.index_of_matching_close_char(
                    self.filter.position,
                    '[',
                    ']',
                    true,
                    false,
                )?;
                if closing == -1 {
                    return Err(Failure::InvalidPath);
                }
                self.filter.set_position(closing + 1);
            }
            let current = self.filter.current_char()?;
            let closing_function = current == ')' && self.is_closing_function_bracket(begin)?;
            let closing_logical = current == ')' && !closing_function;
            if !self.filter.in_bounds_here()
                || is_relational_operator_char(current)
                || current == ' '
                || closing_logical
            {
                break;
            }
            self.filter.increment_position(1);
        }
        let text = self.filter.substring(begin, self.filter.position)?;
        let path = compile_path(&text, self.depth + 1).map_err(|_| Failure::InvalidPath)?;
        Ok(ValueNode::Path {
            path: Box::new(path),
            exists_check: false,
            should_exist: previous != '!',
        })
    }

    fn is_closing_function_bracket(&self, lower_bound: i64) -> Outcome<bool> {
        if self.filter.current_char()? != ')' {
            return Ok(false);
        }
        let mut index = self
            .filter
            .index_of_previous_significant_char(self.filter.position)?;
        if index == -1 || self.filter.char_at(index)? != '(' {
            return Ok(false);
        }
        index -= 1;
        while self.filter.in_bounds(index) && index > lower_bound {
            if self.filter.char_at(index)? == '.' {
                return Ok(true);
            }
            index -= 1;
        }
        Ok(false)
    }
}

// ---------------------------------------------------------------------------------------------
// json-smart's permissive parser, as far as filters and function parameters need it
// ---------------------------------------------------------------------------------------------

/// Parses JSON the way json-smart's `MODE_PERMISSIVE` accepts it: standard JSON, plus strings in
/// single quotes and unquoted words. `None` for anything else.
pub(super) fn parse_permissive_json(text: &str) -> Option<Value> {
    if let Ok(value) = serde_json::from_str(text) {
        return Some(value);
    }
    let characters: Vec<char> = text.chars().collect();
    let mut parser = PermissiveParser {
        characters,
        position: 0,
    };
    let value = parser.value(0)?;
    parser.skip_whitespace();
    (parser.position == parser.characters.len()).then_some(value)
}

struct PermissiveParser {
    characters: Vec<char>,
    position: usize,
}

impl PermissiveParser {
    fn peek(&self) -> Option<char> {
        self.characters.get(self.position).copied()
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.position += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAXIMUM_NESTING {
            return None;
        }
        self.skip_whitespace();
        match self.peek()? {
            '[' => {
                self.position += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_whitespace();
                    if self.peek()? == ']' {
                        self.position += 1;
                        return Some(Value::Array(items));
                    }
                    items.push(self.value(depth + 1)?);
                    self.skip_whitespace();
                    match self.peek()? {
                        ',' => self.position += 1,
                        ']' => {}
                        _ => return None,
                    }
                }
            }
            '{' => {
                self.position += 1;
                let mut map = Map::new();
                loop {
                    self.skip_whitespace();
                    if self.peek()? == '}' {
                        self.position += 1;
                        return Some(Value::Object(map));
                    }
                    let key = match self.value(depth + 1)? {
                        Value::String(key) => key,
                        other => to_java_string(&other),
                    };
                    self.skip_whitespace();
                    if self.peek()? != ':' {
                        return None;
                    }
                    self.position += 1;
                    let value = self.value(depth + 1)?;
                    map.insert(key, value);
                    self.skip_whitespace();
                    match self.peek()? {
                        ',' => self.position += 1,
                        '}' => {}
                        _ => return None,
                    }
                }
            }
            quote @ ('"' | '\'') => {
                self.position += 1;
                let mut text = String::new();
                loop {
                    let character = self.peek()?;
                    self.position += 1;
                    if character == quote {
                        return Some(Value::String(text));
                    }
                    if character == '\\' {
                        let escaped = self.peek()?;
                        self.position += 1;
                        match escaped {
                            'n' => text.push('\n'),
                            't' => text.push('\t'),
                            'r' => text.push('\r'),
                            'b' => text.push('\u{8}'),
                            'f' => text.push('\u{c}'),
                            'u' => {
                                let hex: String = self
                                    .characters
                                    .get(self.position..self.position + 4)?
                                    .iter()
                                    .collect();
                                self.position += 4;
                                let code = u32::from_str_radix(&hex, 16).ok()?;
                                text.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                            }
                            other => text.push(other),
                        }
                    } else {
                        text.push(character);
                    }
                }
            }
            _ => {
                let start = self.position;
                while self.peek().is_some_and(|character| {
                    !matches!(character, ',' | ':' | ']' | '}' | '[' | '{')
                }) {
                    self.position += 1;
                }
                let word: String = self
                    .characters
                    .get(start..self.position)?
                    .iter()
                    .collect::<String>()
                    .trim()
                    .to_string();
                if word.is_empty() {
                    return None;
                }
                Some(match word.as_str() {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    "null" => Value::Null,
                    _ => serde_json::from_str::<Number>(&word)
                        .map(Value::Number)
                        .unwrap_or(Value::String(word)),
                })
            }
        }
    }
}
