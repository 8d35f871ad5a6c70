//! JavaScript syntax checking for INLINE, LAMBDA, SWITCH and DO_WHILE scripts, without running them.
//!
//! Conductor evaluates scripts with GraalJS (FORMAT.md §D.6): INLINE scripts, SWITCH `javascript`
//! expressions and DO_WHILE `loopCondition`s are evaluated as a *program* whose value is the
//! completion value of the last statement, so a `return` at the top level is a syntax error there;
//! LAMBDA wraps the script as `function scriptFun(){` + script + `} scriptFun();`, so `return` is
//! allowed (and a `//` comment on the last line swallows the closing brace). A syntax error only
//! shows up when the workflow runs, as a failed task; wfc finds it at compile time.
//!
//! # How
//!
//! The script is compiled, never evaluated, by QuickJS (through `rquickjs`). The only compile-only
//! entry point `rquickjs` offers without `unsafe` code is [`rquickjs::Module::declare`], which
//! passes `JS_EVAL_FLAG_COMPILE_ONLY`; nothing of the script runs, so `while(true){}` returns at
//! once. The runtime has a memory limit and a stack limit, so huge or deeply nested scripts fail
//! with a message instead of exhausting the process. (No interrupt handler is installed: nothing is
//! evaluated, and QuickJS also polls the handler in native getters, which made reading the error's
//! `stack` fail.)
//!
//! A syntax error's line and column (a byte column, from the error's stack line
//! `at <name>:LINE:COLUMN`) are turned back into a byte offset into the script as written, also
//! through the LAMBDA wrapper. Errors of QuickJS's regular-expression compiler carry no position;
//! for those the shortest failing prefix of the script is found by bisection, and the offset is the
//! opening `/` of the faulty literal.
//!
//! # Limitations
//!
//! A module is strict-mode code with the module goal, while Conductor's scripts are sloppy-mode
//! scripts. Errors that only strict mode or modules produce are therefore not reported: octal
//! literals and escapes, `with`, `delete name`, duplicate parameters, assigning `eval`/`arguments`,
//! and strict-mode reserved words used as names (`let`, `static`, `package`, `interface`, `private`,
//! `protected`, `public`, `implements`, `yield`, `await`). When QuickJS stops on one of those, wfc
//! cannot see what follows and accepts the script. Likewise a top-level `await` (valid in a module,
//! not in a script) is not reported; `import`/`export` declarations are. QuickJS and GraalJS may
//! differ on very recent syntax.
//!
//! # Cost
//!
//! Measured with `measure_cost_per_check` on a one-line DO_WHILE condition: about 4.5 µs per check
//! on a reused checker and 55 µs with a new runtime and context per check in a release build
//! (16 µs and 190 µs in a debug build). [`check_syntax`] therefore uses one [`JavaScriptChecker`]
//! per thread. Declared modules stay in their context until it is dropped, so the checker replaces
//! its context every [`MODULES_PER_CONTEXT`] checks.

use std::cell::RefCell;

use rquickjs::context::intrinsic;
use rquickjs::{Context, Ctx, Exception, Module, Runtime};

/// How Conductor runs a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScriptMode {
    /// Evaluated as a program (INLINE, SWITCH `javascript`, DO_WHILE `loopCondition`): the value is
    /// the completion value of the last statement and a top-level `return` is a syntax error.
    Program,
    /// The body of `function scriptFun(){…}` (LAMBDA), so `return` is allowed.
    FunctionBody,
}

/// A syntax error, at a byte offset into the script as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptError {
    pub offset: usize,
    pub message: String,
}

/// Checks run on one context before it is replaced (its declared modules are freed with it).
pub const MODULES_PER_CONTEXT: usize = 256;

/// Memory the QuickJS runtime may use.
const MEMORY_LIMIT_BYTES: usize = 64 << 20;

/// Native stack the QuickJS parser may use (deeply nested scripts fail with a clear message).
const STACK_LIMIT_BYTES: usize = 256 << 10;

/// When the checker is used this much deeper or shallower on the native stack than where its
/// runtime was created, the runtime is recreated so that QuickJS's stack limit stays meaningful.
const STACK_DRIFT_LIMIT_BYTES: usize = 64 << 10;

/// What LAMBDA puts around the script (`Lambda.java`).
const LAMBDA_PREFIX: &str = "function scriptFun(){";
const LAMBDA_SUFFIX: &str = "} scriptFun();";

/// A function around a program, to find `import`/`export` declarations, which a module accepts and a
/// script does not.
const PROGRAM_WRAPPER_PREFIX: &str = "function __wfc_program__(){\n";
const PROGRAM_WRAPPER_SUFFIX: &str = "\n}";

/// The name QuickJS reports errors under.
const MODULE_NAME: &str = "wfc-script";

/// Check the syntax of a script as Conductor would run it, without running it.
///
/// For scripts Conductor runs as written: SWITCH `expression` and DO_WHILE `loopCondition` (where
/// `${…}` is JavaScript template-literal syntax). For scripts that are input parameters, which
/// Conductor interpolates first, use [`check_interpolated_syntax`]. Uses a [`JavaScriptChecker`]
/// kept per thread.
pub fn check_syntax(script: &str, mode: ScriptMode) -> Result<(), ScriptError> {
    thread_local! {
        static CHECKER: RefCell<Option<JavaScriptChecker>> = const { RefCell::new(None) };
    }
    let shared = CHECKER.try_with(|cell| {
        let Ok(mut slot) = cell.try_borrow_mut() else {
            return None;
        };
        if slot.is_none() {
            *slot = JavaScriptChecker::new().ok();
        }
        slot.as_mut().map(|checker| checker.check(script, mode))
    });
    match shared {
        Ok(Some(result)) => result,
        // The thread is shutting down or the shared checker could not be created: use a fresh one.
        _ => match JavaScriptChecker::new() {
            Ok(mut checker) => checker.check(script, mode),
            Err(message) => Err(ScriptError {
                offset: 0,
                message: format!("could not start the JavaScript checker: {message}"),
            }),
        },
    }
}

/// Check the syntax of a script that Conductor interpolates before running it: INLINE
/// `inputParameters.expression` and LAMBDA `inputParameters.scriptExpression`.
///
/// Every `${…}` is a Conductor expression whose value is pasted into the script: it is checked as
/// an identifier of the same length, and an error at such a placeholder is not reported (the pasted
/// text is only known at run time). `$${` is Conductor's escape for a literal `${` (for example a
/// JavaScript template literal).
pub fn check_interpolated_syntax(script: &str, mode: ScriptMode) -> Result<(), ScriptError> {
    let template = crate::expression::scan(script);
    if template.is_literal() && !script.contains("$${") {
        return check_syntax(script, mode);
    }
    let masked = template.with_expressions_masked(script, '_', '_');
    match check_syntax(&masked, mode) {
        Err(error)
            if template
                .masked_ranges()
                .any(|range| range.start <= error.offset && error.offset <= range.end) =>
        {
            Ok(())
        }
        other => other,
    }
}

/// A QuickJS runtime and context that compiles scripts without running them. Reusable; see
/// [`check_syntax`] for the per-thread instance.
pub struct JavaScriptChecker {
    // The context must be dropped before the runtime.
    context: Context,
    runtime: Runtime,
    checks_on_context: usize,
    stack_address_at_creation: usize,
}

impl std::fmt::Debug for JavaScriptChecker {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("JavaScriptChecker")
            .field("checks_on_context", &self.checks_on_context)
            .finish_non_exhaustive()
    }
}

/// Why a compile failed, in the coordinates of the compiled source.
#[derive(Debug)]
struct CompileFailure {
    /// Byte offset into the compiled source, when QuickJS gave a position.
    offset: Option<usize>,
    message: String,
    is_syntax_error: bool,
}

impl JavaScriptChecker {
    /// A new runtime (with memory and stack limits) and context.
    pub fn new() -> Result<JavaScriptChecker, String> {
        let runtime = new_runtime()?;
        let context = new_context(&runtime)?;
        Ok(JavaScriptChecker {
            context,
            runtime,
            checks_on_context: 0,
            stack_address_at_creation: approximate_stack_address(),
        })
    }

    /// Check the syntax of a script as Conductor would run it, without running it.
    pub fn check(&mut self, script: &str, mode: ScriptMode) -> Result<(), ScriptError> {
        self.refresh()
            .map_err(|message| ScriptError { offset: 0, message })?;
        // A NUL would end the C string; U+0001 is equally invalid outside strings and comments.
        let source = script.replace('\0', "\u{1}");
        match mode {
            ScriptMode::Program => self.check_program(script, &source),
            ScriptMode::FunctionBody => self.check_function_body(script, &source),
        }
    }

    fn check_program(&mut self, script: &str, source: &str) -> Result<(), ScriptError> {
        let failure = self.compile(source);
        let mentions_module_syntax = source.contains("import") || source.contains("export");
        match failure {
            None if !mentions_module_syntax => Ok(()),
            Some(failure) if failure.is_syntax_error => {
                let offset = self.script_offset(&failure, "", source, script);
                if is_strict_mode_only(&failure.message, script, offset) {
                    Ok(())
                } else {
                    Err(ScriptError {
                        offset,
                        message: failure.message,
                    })
                }
            }
            // Valid as a module but mentions `import`/`export`, or failed for another reason
            // (a static import QuickJS tried to resolve, a resource limit): compile the program as a
            // function body, where module declarations are syntax errors.
            first_failure => {
                let wrapped = format!("{PROGRAM_WRAPPER_PREFIX}{source}{PROGRAM_WRAPPER_SUFFIX}");
                match self.compile(&wrapped) {
                    None => match first_failure {
                        None => Ok(()),
                        Some(failure) => Err(ScriptError {
                            offset: 0,
                            message: unchecked_message(&failure.message),
                        }),
                    },
                    Some(failure) if failure.is_syntax_error => {
                        let offset =
                            self.script_offset(&failure, PROGRAM_WRAPPER_PREFIX, source, script);
                        if is_strict_mode_only(&failure.message, script, offset) {
                            Ok(())
                        } else {
                            Err(ScriptError {
                                offset,
                                message: failure.message,
                            })
                        }
                    }
                    Some(failure) => Err(ScriptError {
                        offset: 0,
                        message: unchecked_message(&failure.message),
                    }),
                }
            }
        }
    }

    fn check_function_body(&mut self, script: &str, source: &str) -> Result<(), ScriptError> {
        let wrapped = format!("{LAMBDA_PREFIX}{source}{LAMBDA_SUFFIX}");
        let Some(failure) = self.compile(&wrapped) else {
            return Ok(());
        };
        if !failure.is_syntax_error {
            return Err(ScriptError {
                offset: 0,
                message: unchecked_message(&failure.message),
            });
        }
        let offset = self.script_offset(&failure, LAMBDA_PREFIX, source, script);
        if is_strict_mode_only(&failure.message, script, offset) {
            return Ok(());
        }
        let in_suffix = failure
            .offset
            .is_some_and(|wrapped_offset| wrapped_offset >= LAMBDA_PREFIX.len() + source.len());
        let mut message = failure.message;
        let last_line = script
            .rsplit(['\n', '\r', '\u{2028}', '\u{2029}'])
            .next()
            .unwrap_or("");
        if in_suffix && last_line.contains("//") {
            message.push_str(
                " (a `//` comment on the last line also comments out the `}` that Conductor appends to close \
                 `function scriptFun(){`; end the script with a line break)",
            );
        }
        Err(ScriptError { offset, message })
    }

    /// The offset in the script of a failure to compile `prefix` + `source` + a suffix.
    fn script_offset(
        &self,
        failure: &CompileFailure,
        prefix: &str,
        source: &str,
        script: &str,
    ) -> usize {
        let offset = match failure.offset {
            Some(offset) => offset.saturating_sub(prefix.len()),
            None => self
                .locate_positionless_error(prefix, source, &failure.message)
                .unwrap_or(0),
        };
        clamp_offset(script, offset)
    }

    /// Errors of QuickJS's regular-expression compiler carry no position. The error is raised as
    /// soon as the faulty literal is complete, so the shortest prefix of the script that fails with
    /// the same message ends with that literal; the offset is the literal's opening `/`.
    fn locate_positionless_error(
        &self,
        prefix: &str,
        source: &str,
        message: &str,
    ) -> Option<usize> {
        let fails_the_same_way = |end: usize| -> bool {
            let candidate = format!("{prefix}{}", source.get(..end).unwrap_or(""));
            matches!(
                self.compile(&candidate),
                Some(failure) if failure.is_syntax_error
                    && failure.offset.is_none()
                    && failure.message == message
            )
        };
        if !fails_the_same_way(source.len()) {
            return None;
        }
        let ends: Vec<usize> = (1..=source.len())
            .filter(|&end| source.is_char_boundary(end))
            .collect();
        let end = *ends.get(ends.partition_point(|&end| !fails_the_same_way(end)))?;
        Some(regular_expression_start(source, end).unwrap_or(end.saturating_sub(1)))
    }

    /// Replace the context after [`MODULES_PER_CONTEXT`] checks, and the runtime when the native
    /// stack depth changed a lot since it was created.
    fn refresh(&mut self) -> Result<(), String> {
        let stack_address = approximate_stack_address();
        if stack_address.abs_diff(self.stack_address_at_creation) > STACK_DRIFT_LIMIT_BYTES {
            let runtime = new_runtime()?;
            let context = new_context(&runtime)?;
            // Drop the old context before its runtime.
            self.context = context;
            self.runtime = runtime;
            self.checks_on_context = 0;
            self.stack_address_at_creation = stack_address;
        } else if self.checks_on_context >= MODULES_PER_CONTEXT {
            self.context = new_context(&self.runtime)?;
            self.runtime.run_gc();
            self.checks_on_context = 0;
        }
        self.checks_on_context += 1;
        Ok(())
    }

    /// Compile `source` as a module without evaluating it. `None` when it compiles.
    fn compile(&self, source: &str) -> Option<CompileFailure> {
        self.context.with(
            |context| match Module::declare(context.clone(), MODULE_NAME, source) {
                Ok(_) => None,
                Err(rquickjs::Error::Exception) => Some(exception_failure(&context, source)),
                Err(error) => Some(CompileFailure {
                    offset: None,
                    message: error.to_string(),
                    is_syntax_error: false,
                }),
            },
        )
    }
}

fn new_runtime() -> Result<Runtime, String> {
    let runtime = Runtime::new().map_err(|error| error.to_string())?;
    runtime.set_memory_limit(MEMORY_LIMIT_BYTES);
    runtime.set_max_stack_size(STACK_LIMIT_BYTES);
    Ok(runtime)
}

fn new_context(runtime: &Runtime) -> Result<Context, String> {
    // The parser needs `Eval`; regular expression literals are compiled with the script.
    Context::builder()
        .with::<intrinsic::Eval>()
        .with::<intrinsic::RegExpCompiler>()
        .build(runtime)
        .map_err(|error| error.to_string())
}

/// An address on the current native stack, to notice large changes in stack depth.
fn approximate_stack_address() -> usize {
    let marker = 0u8;
    std::ptr::from_ref(std::hint::black_box(&marker)) as usize
}

fn exception_failure(context: &Ctx<'_>, source: &str) -> CompileFailure {
    let value = context.catch();
    let exception = value
        .as_object()
        .and_then(|object| Exception::from_object(object.clone()));
    let Some(exception) = exception else {
        return CompileFailure {
            offset: None,
            message: "the script could not be compiled".to_string(),
            is_syntax_error: false,
        };
    };
    let stack = exception.stack();
    let name: Option<String> = exception.get("name").ok();
    let message = exception.message().unwrap_or_default();
    let position = stack.as_deref().and_then(line_and_column_from_stack);
    CompileFailure {
        offset: position.map(|(line, column)| offset_of_line_and_column(source, line, column)),
        message: if message.is_empty() {
            "syntax error".to_string()
        } else {
            message
        },
        is_syntax_error: name.as_deref() == Some("SyntaxError"),
    }
}

/// `    at wfc-script:3:5` → `(3, 5)`.
fn line_and_column_from_stack(stack: &str) -> Option<(usize, usize)> {
    let marker = format!("at {MODULE_NAME}:");
    let line = stack.lines().find(|line| line.contains(&marker))?;
    let position = line.get(line.find(&marker)? + marker.len()..)?;
    let mut numbers = position.trim().split(':');
    let line_number = numbers.next()?.trim().parse().ok()?;
    let column_number = numbers.next()?.trim().parse().ok()?;
    Some((line_number, column_number))
}

/// QuickJS counts lines at `\n`, `\r\n`, a lone `\r`, U+2028 and U+2029, and columns in bytes from
/// the start of the line, both from 1.
fn offset_of_line_and_column(source: &str, line: usize, column: usize) -> usize {
    let mut line_start = 0;
    let mut current_line = 1;
    let mut characters = source.char_indices().peekable();
    while current_line < line {
        let Some((index, character)) = characters.next() else {
            break;
        };
        let terminator_length = match character {
            '\r' if characters.peek().is_some_and(|(_, next)| *next == '\n') => {
                characters.next();
                2
            }
            '\n' | '\r' => 1,
            '\u{2028}' | '\u{2029}' => 3,
            _ => continue,
        };
        line_start = index + terminator_length;
        current_line += 1;
    }
    let offset = line_start + column.saturating_sub(1);
    clamp_offset(source, offset)
}

/// The opening `/` of the regular-expression literal whose closing `/` ends just before `end`.
fn regular_expression_start(source: &str, end: usize) -> Option<usize> {
    let bytes = source.as_bytes();
    if end < 2 || bytes.get(end - 1) != Some(&b'/') {
        return None;
    }
    let mut index = end - 1;
    while index > 0 {
        index -= 1;
        if bytes.get(index) == Some(&b'/') {
            let backslashes = bytes
                .get(..index)
                .unwrap_or(&[])
                .iter()
                .rev()
                .take_while(|&&byte| byte == b'\\')
                .count();
            if backslashes % 2 == 0 {
                return Some(index);
            }
        }
    }
    None
}

/// An offset within the text and on a character boundary.
fn clamp_offset(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn unchecked_message(message: &str) -> String {
    if message.contains("stack") {
        "the script is nested too deeply to be checked".to_string()
    } else if message.contains("memory") {
        "the script is too large to be checked".to_string()
    } else {
        format!("the script could not be checked: {message}")
    }
}

/// Errors that QuickJS reports because a module is strict-mode code, for code that GraalJS runs in
/// sloppy mode. wfc cannot check past them and accepts the script.
fn is_strict_mode_only(message: &str, script: &str, offset: usize) -> bool {
    const STRICT_MODE_MESSAGES: [&str; 6] = [
        "strict mode",
        "invalid keyword: with",
        "is a reserved identifier",
        "Duplicate parameter name",
        "function declarations can't appear in single-statement context",
        "unexpected 'await' keyword",
    ];
    const STRICT_MODE_WORDS: [&str; 12] = [
        "let",
        "static",
        "implements",
        "interface",
        "package",
        "private",
        "protected",
        "public",
        "yield",
        "await",
        "eval",
        "arguments",
    ];
    if STRICT_MODE_MESSAGES
        .iter()
        .any(|pattern| message.contains(pattern))
    {
        return true;
    }
    // HTML-like comments are only allowed in sloppy scripts.
    if script.contains("<!--") || script.contains("-->") {
        return true;
    }
    let is_identifier_character =
        |character: char| character.is_alphanumeric() || character == '_' || character == '$';
    let word_at = |position: usize| -> &str {
        let rest = script.get(position..).unwrap_or("");
        let end = rest
            .find(|character: char| !is_identifier_character(character))
            .unwrap_or(rest.len());
        rest.get(..end).unwrap_or("")
    };
    let word_before = || -> &str {
        let before = script.get(..offset).unwrap_or("").trim_end();
        let start = before
            .rfind(|character: char| !is_identifier_character(character))
            .map_or(0, |index| {
                index
                    + before
                        .get(index..)
                        .and_then(|rest| rest.chars().next())
                        .map_or(1, char::len_utf8)
            });
        before.get(start..).unwrap_or("")
    };
    STRICT_MODE_WORDS.contains(&word_at(offset)) || STRICT_MODE_WORDS.contains(&word_before())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn error_of(script: &str, mode: ScriptMode) -> ScriptError {
        match check_syntax(script, mode) {
            Ok(()) => panic!("expected a syntax error in {script:?}"),
            Err(error) => error,
        }
    }

    #[test]
    fn valid_programs() {
        for script in [
            "$.a == 1",
            "(function(){ return $.x })()",
            "$.loop['iteration'] < 3",
            "if ($.loop['iteration'] < 3) { true; } else { false; }",
            "(function () {if ($.do_while_fork_ref['iteration'] < $.loop_limit) {return true;} return false;})();",
            "var result = [];\nfor (var i = 0; i < $.items.length; i++) {\n  result.push($.items[i] * 2);\n}\nresult",
            "const total = $.items.reduce((sum, item) => sum + item.price, 0);\n({ total, count: $.items.length })",
            "/ab+c/i.test($.name) ? 'match' : 'none'",
            "`${$.a}-${$.b}`",
            "$.a?.b ?? 'default'",
            "",
            "// only a comment",
            "class A { #x = 1; get x() { return this.#x } }; new A().x",
            "var x = 1; x",
        ] {
            assert_eq!(
                check_syntax(script, ScriptMode::Program),
                Ok(()),
                "{script}"
            );
        }
    }

    #[test]
    fn valid_function_bodies() {
        for script in [
            "return $.a + 1;",
            "if ($.input.a==1){return {testvalue: true}} else{return {testvalue: false} }",
            "var x = $.items.length;\nreturn x > 0;",
            "return 1 // comment\n",
            "",
        ] {
            assert_eq!(
                check_syntax(script, ScriptMode::FunctionBody),
                Ok(()),
                "{script}"
            );
        }
    }

    #[test]
    fn error_at_end_of_input() {
        let script = "$.a +";
        let error = error_of(script, ScriptMode::Program);
        assert_eq!(error.offset, 5);
        assert!(!error.message.is_empty());
    }

    #[test]
    fn error_on_a_later_line() {
        let script = "var a = 1;\nvar b = 2;\nvar c = (a + b;\nc";
        let error = error_of(script, ScriptMode::Program);
        assert_eq!(error.offset, 36, "{error:?}");
        assert_eq!(&script[error.offset..error.offset + 1], ";");
    }

    #[test]
    fn error_offsets_with_windows_line_endings_and_non_ascii_text() {
        let script = "var s = 'héllo wörld ✓';\r\nvar t = s +;\r\nt";
        let error = error_of(script, ScriptMode::Program);
        assert_eq!(&script[error.offset..], ";\r\nt");
        let script = "'é' + $.a +";
        let error = error_of(script, ScriptMode::Program);
        assert_eq!(error.offset, script.len());
    }

    #[test]
    fn unbalanced_parenthesis_on_line_three() {
        let script = "var x = $.a;\nvar y = $.b;\nif ((x > y) {\n  x\n}";
        let error = error_of(script, ScriptMode::Program);
        let line_three = script.find("if").unwrap_or(0);
        assert!(error.offset > line_three, "{error:?}");
        assert_eq!(&script[error.offset..error.offset + 1], "{");
    }

    #[test]
    fn top_level_return_is_only_allowed_in_function_bodies() {
        let script = "if ($.a) { return 1 } return 2";
        let error = error_of(script, ScriptMode::Program);
        assert_eq!(error.offset, 11);
        assert!(error.message.contains("return"), "{}", error.message);
        assert_eq!(check_syntax(script, ScriptMode::FunctionBody), Ok(()));
    }

    #[test]
    fn function_body_offsets_are_unwrapped() {
        let script = "var a = 1;\nreturn a +;";
        let error = error_of(script, ScriptMode::FunctionBody);
        assert_eq!(&script[error.offset..], ";");
        let script = "return (1";
        let error = error_of(script, ScriptMode::FunctionBody);
        assert_eq!(error.offset, script.len());
    }

    #[test]
    fn trailing_line_comment_breaks_a_lambda() {
        let script = "return $.a; // done";
        let error = error_of(script, ScriptMode::FunctionBody);
        assert_eq!(error.offset, script.len());
        assert!(error.message.contains("comment"), "{}", error.message);
        assert_eq!(
            check_syntax(script, ScriptMode::Program).map_err(|error| error.offset),
            Err(0)
        );
    }

    #[test]
    fn infinite_loops_are_never_run() {
        let started = Instant::now();
        assert_eq!(check_syntax("while(true){}", ScriptMode::Program), Ok(()));
        assert_eq!(check_syntax("for(;;){}", ScriptMode::FunctionBody), Ok(()));
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn interpolated_scripts_mask_conductor_expressions() {
        let script =
            "(function() { return { count: ${generate_data_ref.output.result.data}.length }; })()";
        assert_eq!(
            check_interpolated_syntax(script, ScriptMode::Program),
            Ok(())
        );
        assert!(check_syntax(script, ScriptMode::Program).is_err());
        // `$${` is what a JavaScript template literal needs in an INLINE script.
        let script = "`total: $${$.total}`";
        assert_eq!(
            check_interpolated_syntax(script, ScriptMode::Program),
            Ok(())
        );
        // Errors away from expressions keep their offsets.
        let script = "var a = ${workflow.input.a};\nreturn a +;";
        let error =
            check_interpolated_syntax(script, ScriptMode::FunctionBody).expect_err("syntax error");
        assert_eq!(&script[error.offset..], ";");
        // An error at a placeholder depends on the pasted text and is not reported.
        let script = "var a = 1 ${workflow.input.op} 2; a";
        assert_eq!(
            check_interpolated_syntax(script, ScriptMode::Program),
            Ok(())
        );
    }

    #[test]
    fn non_ascii_strings_in_scripts() {
        assert_eq!(
            check_syntax("$.name == 'ключ ✓ 日本'", ScriptMode::Program),
            Ok(())
        );
        assert_eq!(check_syntax("var é = '✓'; é", ScriptMode::Program), Ok(()));
        let script = "var s = '日本';\ns +";
        let error = error_of(script, ScriptMode::Program);
        assert_eq!(error.offset, script.len());
    }

    #[test]
    fn unterminated_string_and_comment() {
        let script = "var s = 'abc";
        let error = error_of(script, ScriptMode::Program);
        assert!(error.offset <= script.len());
        let script = "/* never closed";
        assert!(check_syntax(script, ScriptMode::Program).is_err());
    }

    #[test]
    fn invalid_regular_expression_literal() {
        let script = "var ok = /(ab/.test($.name);\nok";
        let error = error_of(script, ScriptMode::Program);
        assert_eq!(error.offset, 9, "{error:?}");
        let script = "var x = 1;\nreturn /a{2,1}/.test($.s);";
        let error = error_of(script, ScriptMode::FunctionBody);
        assert_eq!(error.offset, 18, "{error:?}");
    }

    #[test]
    fn module_declarations_are_rejected() {
        // QuickJS reads `import` as the start of `import(…)` and stops at the name after it.
        let error = error_of("import x from 'y';\nx", ScriptMode::Program);
        assert_eq!(error.offset, 7);
        let error = error_of("var a = 1;\nexport { a };", ScriptMode::Program);
        assert_eq!(error.offset, 11);
        assert_eq!(
            check_syntax("var important = 1; important", ScriptMode::Program),
            Ok(())
        );
    }

    #[test]
    fn sloppy_mode_only_syntax_is_not_a_false_error() {
        for script in [
            "var let = 1; let",
            "with ($) { a }",
            "var n = 010; n",
            "var package = $.pkg; package",
            "function f(a, a) { return a } f(1, 2)",
            "delete x",
            "eval = 1",
        ] {
            assert_eq!(
                check_syntax(script, ScriptMode::Program),
                Ok(()),
                "{script}"
            );
        }
    }

    #[test]
    fn nul_characters_do_not_break_the_checker() {
        assert_eq!(check_syntax("'a\0b'", ScriptMode::Program), Ok(()));
        assert!(check_syntax("a \0 b", ScriptMode::Program).is_err());
    }

    #[test]
    fn deeply_nested_script_is_reported_not_crashed() {
        let script = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
        let error = error_of(&script, ScriptMode::Program);
        assert!(error.offset <= script.len());
    }

    #[test]
    fn the_checker_survives_many_checks() {
        let mut checker = JavaScriptChecker::new().expect("checker");
        for index in 0..(MODULES_PER_CONTEXT * 3) {
            assert_eq!(
                checker.check(&format!("$.a == {index}"), ScriptMode::Program),
                Ok(())
            );
        }
        assert!(checker.check("$.a +", ScriptMode::Program).is_err());
    }

    #[test]
    fn checks_from_other_threads() {
        let handles: Vec<_> = (0..4)
            .map(|index| {
                std::thread::spawn(move || {
                    check_syntax(&format!("$.a == {index}"), ScriptMode::Program).is_ok()
                        && check_syntax("$.a +", ScriptMode::Program).is_err()
                })
            })
            .collect();
        for handle in handles {
            assert_eq!(handle.join().ok(), Some(true));
        }
    }

    /// Prints the cost of a check; run with `--nocapture` to see it. No assertion on time.
    #[test]
    fn measure_cost_per_check() {
        let script =
            "(function(){ if ($.loop['iteration'] < 3) { return true; } return false; })()";
        let rounds = 500u32;
        check_syntax(script, ScriptMode::Program).expect("valid");
        let started = Instant::now();
        for _ in 0..rounds {
            let _ = check_syntax(script, ScriptMode::Program);
        }
        let shared = started.elapsed() / rounds;
        let started = Instant::now();
        for _ in 0..rounds / 10 {
            if let Ok(mut checker) = JavaScriptChecker::new() {
                let _ = checker.check(script, ScriptMode::Program);
            }
        }
        let fresh = started.elapsed() / (rounds / 10);
        println!(
            "JavaScript syntax check: {shared:?} per call with the shared checker, {fresh:?} with a new runtime"
        );
    }
}
