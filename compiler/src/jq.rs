//! jq syntax checking for JSON_JQ_TRANSFORM `queryExpression`s, with jaq.
//!
//! Conductor runs jq programs with jackson-jq (FORMAT.md B.5: `net.thisptr:jackson-jq` 0.0.13, a
//! jq 1.6 dialect) when the task runs; a syntax error or a call to an undefined function only shows
//! up then, as a failed task. wfc parses and compiles the program with jaq (`jaq-core`, with the
//! definitions and native filters of `jaq-std` and `jaq-json`) and reports the first error with a
//! byte range into the program. Nothing is run.
//!
//! # jaq versus jackson-jq
//!
//! jaq is a different implementation, so the check is tuned to never reject what jackson-jq
//! accepts:
//!
//! * jq builtins that jaq lacks (`@csv`, `@tsv`, `@base32`, `@base32d`, `tostream`, `fromstream`,
//!   `truncate_stream`, `leaf_paths`, `IN`, `INDEX`, `input`, `inputs`, `dateadd`, `datesub`,
//!   `date`, `ascii`, `isvalid`, `getpath`-style helpers, `builtins`, `input_filename`,
//!   `input_line_number`, … — see [`JQ_BUILTINS`]) are declared with their jq arities, so calling
//!   them is accepted and calling them with the wrong number of arguments is still an error.
//! * `$__loc__` and `$ENV` are declared as global variables.
//! * Numbers written with a leading dot (`.5`) are numbers in jq but not in jaq: a program that
//!   contains one and fails in jaq is accepted unchecked.
//! * `${…}` in a program is a Conductor expression, substituted before jq sees the program: it is
//!   checked as a field access of the same length, and errors touching it are not reported.
//!
//! jaq is more lenient than jackson-jq 0.0.13 in places (comments, `label`, `if` without `else`,
//! keywords as object keys, trailing commas in objects, `?//` is rejected by both); those programs
//! are accepted even though jackson-jq would reject them. Single-quoted strings are rejected by
//! jq, jackson-jq and jaq alike, and are reported.
//!
//! # Cost
//!
//! Compiling jaq's whole standard library for every check costs about 200 µs (release build), so the
//! parsed definitions are kept for the process and each check compiles only the definitions the
//! program can reach (by name, over-approximated); if that compile reports an undefined name, the
//! check is repeated with every definition before anything is reported. Measured with
//! `measure_cost_per_check` on a 160-character program: about 50 µs per check in a release build,
//! 330 µs in a debug build.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::LazyLock;

use jaq_core::compile::Undefined;
use jaq_core::load::parse::Def;
use jaq_core::load::{Arena, File, Loader};

/// A jq syntax error (or undefined name), with a byte range into the program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JqError {
    pub range: Range<usize>,
    pub message: String,
}

/// jq 1.6 and 1.7 builtins by name and arity. They are declared (as stubs) before jaq's own
/// definitions, so a program may call any of them whether or not jaq implements it.
pub const JQ_BUILTINS: &[(&str, usize)] = &[
    ("@base32", 0),
    ("@base32d", 0),
    ("@base64", 0),
    ("@base64d", 0),
    ("@csv", 0),
    ("@html", 0),
    ("@json", 0),
    ("@sh", 0),
    ("@text", 0),
    ("@tsv", 0),
    ("@uri", 0),
    ("IN", 1),
    ("IN", 2),
    ("INDEX", 1),
    ("INDEX", 2),
    ("abs", 0),
    ("acos", 0),
    ("acosh", 0),
    ("add", 0),
    ("add", 1),
    ("all", 0),
    ("all", 1),
    ("all", 2),
    ("any", 0),
    ("any", 1),
    ("any", 2),
    ("arrays", 0),
    ("ascii", 0),
    ("ascii_downcase", 0),
    ("ascii_upcase", 0),
    ("asin", 0),
    ("asinh", 0),
    ("atan", 0),
    ("atan2", 2),
    ("atanh", 0),
    ("booleans", 0),
    ("builtins", 0),
    ("capture", 1),
    ("capture", 2),
    ("cbrt", 0),
    ("ceil", 0),
    ("combinations", 0),
    ("combinations", 1),
    ("contains", 1),
    ("copysign", 2),
    ("cos", 0),
    ("cosh", 0),
    ("date", 0),
    ("dateadd", 2),
    ("datesub", 2),
    ("debug", 0),
    ("debug", 1),
    ("del", 1),
    ("delpaths", 1),
    ("drem", 2),
    ("empty", 0),
    ("endswith", 1),
    ("env", 0),
    ("error", 0),
    ("error", 1),
    ("exp", 0),
    ("exp10", 0),
    ("exp2", 0),
    ("explode", 0),
    ("expm1", 0),
    ("fabs", 0),
    ("fdim", 2),
    ("finites", 0),
    ("first", 0),
    ("first", 1),
    ("flatten", 0),
    ("flatten", 1),
    ("floor", 0),
    ("fma", 3),
    ("fmax", 2),
    ("fmin", 2),
    ("fmod", 2),
    ("frexp", 0),
    ("from_entries", 0),
    ("fromdate", 0),
    ("fromdateiso8601", 0),
    ("fromjson", 0),
    ("fromstream", 1),
    ("gamma", 0),
    ("get_jq_origin", 0),
    ("get_prog_origin", 0),
    ("get_search_list", 0),
    ("getpath", 1),
    ("gmtime", 0),
    ("group_by", 1),
    ("gsub", 2),
    ("gsub", 3),
    ("halt", 0),
    ("halt_error", 0),
    ("halt_error", 1),
    ("has", 1),
    ("have_decnum", 0),
    ("have_literal_numbers", 0),
    ("hypot", 2),
    ("implode", 0),
    ("in", 1),
    ("index", 1),
    ("indices", 1),
    ("infinite", 0),
    ("input", 0),
    ("input_filename", 0),
    ("input_line_number", 0),
    ("inputs", 0),
    ("inside", 1),
    ("isempty", 1),
    ("isinfinite", 0),
    ("isnan", 0),
    ("isnormal", 0),
    ("isvalid", 1),
    ("iterables", 0),
    ("j0", 0),
    ("j1", 0),
    ("join", 1),
    ("keys", 0),
    ("keys_unsorted", 0),
    ("last", 0),
    ("last", 1),
    ("ldexp", 2),
    ("leaf_paths", 0),
    ("length", 0),
    ("lgamma", 0),
    ("lgamma_r", 0),
    ("limit", 2),
    ("localtime", 0),
    ("log", 0),
    ("log10", 0),
    ("log1p", 0),
    ("log2", 0),
    ("logb", 0),
    ("ltrim", 0),
    ("ltrimstr", 1),
    ("map", 1),
    ("map_values", 1),
    ("match", 1),
    ("match", 2),
    ("max", 0),
    ("max_by", 1),
    ("min", 0),
    ("min_by", 1),
    ("mktime", 0),
    ("modf", 0),
    ("nan", 0),
    ("nearbyint", 0),
    ("nextafter", 2),
    ("nexttoward", 2),
    ("normals", 0),
    ("not", 0),
    ("now", 0),
    ("nth", 1),
    ("nth", 2),
    ("nulls", 0),
    ("numbers", 0),
    ("objects", 0),
    ("path", 1),
    ("paths", 0),
    ("paths", 1),
    ("pick", 1),
    ("pow", 2),
    ("pow10", 0),
    ("range", 1),
    ("range", 2),
    ("range", 3),
    ("recurse", 0),
    ("recurse", 1),
    ("recurse", 2),
    ("recurse_down", 0),
    ("repeat", 1),
    ("reverse", 0),
    ("rindex", 1),
    ("rint", 0),
    ("round", 0),
    ("rtrim", 0),
    ("rtrimstr", 1),
    ("scalars", 0),
    ("scalb", 2),
    ("scalbln", 2),
    ("scan", 1),
    ("scan", 2),
    ("select", 1),
    ("setpath", 2),
    ("significand", 0),
    ("sin", 0),
    ("sinh", 0),
    ("sort", 0),
    ("sort_by", 1),
    ("split", 1),
    ("split", 2),
    ("splits", 1),
    ("splits", 2),
    ("sqrt", 0),
    ("startswith", 1),
    ("stderr", 0),
    ("strflocaltime", 1),
    ("strftime", 1),
    ("strings", 0),
    ("strptime", 1),
    ("sub", 2),
    ("sub", 3),
    ("tan", 0),
    ("tanh", 0),
    ("test", 1),
    ("test", 2),
    ("tgamma", 0),
    ("to_entries", 0),
    ("toarray", 0),
    ("todate", 0),
    ("todateiso8601", 0),
    ("tojson", 0),
    ("tonumber", 0),
    ("tostream", 0),
    ("tostring", 0),
    ("transpose", 0),
    ("trim", 0),
    ("trunc", 0),
    ("truncate_stream", 1),
    ("type", 0),
    ("unique", 0),
    ("unique_by", 1),
    ("until", 2),
    ("utf8bytelength", 0),
    ("values", 0),
    ("walk", 1),
    ("while", 2),
    ("with_entries", 1),
    ("y0", 0),
    ("y1", 0),
];

/// Global variables jq provides.
const GLOBAL_VARIABLES: [&str; 2] = ["$__loc__", "$ENV"];

/// Check a jq program as Conductor's JSON_JQ_TRANSFORM would compile it.
///
/// `${…}` expressions in the program are Conductor's: they are replaced by a field access of the
/// same length (`.____`) before checking, and an error that touches one is not reported, since the
/// text Conductor substitutes is only known at run time.
pub fn check_syntax(program: &str) -> Result<(), JqError> {
    let template = crate::expression::scan(program);
    let masked;
    let checked_program = if template.is_literal() && !program.contains("$${") {
        program
    } else {
        masked = template.with_expressions_masked(program, '.', '_');
        masked.as_str()
    };
    let prelude = &*PRELUDE;
    let reachable = prelude.reachable_from(checked_program);
    let result = match compile(checked_program, prelude.definitions_at(&reachable)) {
        // The reachable definitions are an over-approximation by name, but jaq may also call
        // definitions for syntax it desugars: confirm any undefined name with everything.
        Err(error) if error.undefined => {
            compile(checked_program, prelude.definitions.iter().cloned())
        }
        other => other,
    };
    match result {
        Ok(()) => Ok(()),
        Err(_) if has_leading_dot_number(checked_program) => Ok(()),
        Err(error)
            if template.masked_ranges().any(|masked_range| {
                masked_range.start <= error.range.end && error.range.start <= masked_range.end
            }) =>
        {
            Ok(())
        }
        Err(error) => Err(JqError {
            range: error.range,
            message: error.message,
        }),
    }
}

/// A failure of [`compile`].
struct CompileFailure {
    range: Range<usize>,
    message: String,
    /// An undefined name (as opposed to a syntax error).
    undefined: bool,
}

/// Lex, parse and compile `program` with the given definitions in scope.
fn compile(
    program: &str,
    definitions: impl Iterator<Item = Def<&'static str>>,
) -> Result<(), CompileFailure> {
    let definitions = definitions.map(shorten_lifetime);
    let arena = Arena::default();
    let loader = Loader::new(definitions);
    let modules = match loader.load(
        &arena,
        File {
            code: program,
            path: (),
        },
    ) {
        Ok(modules) => modules,
        Err(errors) => {
            let failure = errors
                .into_iter()
                .filter(|(file, _)| std::ptr::eq(file.code, program))
                .find_map(|(_, error)| load_failure(program, error));
            return Err(failure.unwrap_or(CompileFailure {
                range: 0..program.len(),
                message: "the jq program could not be parsed".to_string(),
                undefined: false,
            }));
        }
    };
    type Data = jaq_core::data::JustLut<jaq_json::Val>;
    let natives = jaq_core::funs::<Data>()
        .chain(jaq_std::funs::<Data>())
        .chain(jaq_json::funs::<Data>());
    let compiled = jaq_core::Compiler::default()
        .with_funs(natives)
        .with_global_vars(GLOBAL_VARIABLES)
        .compile(modules);
    match compiled {
        Ok(_) => Ok(()),
        Err(errors) => {
            let mut undefined: Vec<(&str, Undefined)> = errors
                .into_iter()
                .filter(|(file, _)| std::ptr::eq(file.code, program))
                .flat_map(|(_, names)| names)
                .collect();
            undefined.sort_by_key(|(name, _)| {
                span_in(program, name).map_or(usize::MAX, |span| span.start)
            });
            let Some((name, kind)) = undefined.into_iter().next() else {
                return Err(CompileFailure {
                    range: 0..program.len(),
                    message: "the jq program refers to an undefined name".to_string(),
                    undefined: true,
                });
            };
            let message = match kind {
                Undefined::Filter(arity) => format!("undefined function `{name}/{arity}`"),
                Undefined::Var => format!("undefined variable `{name}`"),
                Undefined::Label => format!("undefined label `{name}`"),
                Undefined::Mod => format!("undefined module `{name}`"),
                other => format!("undefined {} `{name}`", other.as_str()),
            };
            Err(CompileFailure {
                range: span_in(program, name).unwrap_or(0..program.len()),
                message,
                undefined: true,
            })
        }
    }
}

/// Definitions over `'static` text can be used with the program's shorter lifetime.
fn shorten_lifetime<'a>(definition: Def<&'static str>) -> Def<&'a str> {
    definition
}

/// The first error of a lex, parse or import failure of the main program.
fn load_failure(program: &str, error: jaq_core::load::Error<&str>) -> Option<CompileFailure> {
    use jaq_core::load::Error;
    use jaq_core::load::lex::Expect as LexExpect;
    match error {
        Error::Lex(errors) => {
            // An unclosed delimiter is often the consequence of an unexpected character inside it:
            // report other errors first, then the innermost unclosed delimiter.
            let other = errors
                .iter()
                .filter(|(expect, _)| !matches!(expect, LexExpect::Delim(_)))
                .min_by_key(|(_, found)| {
                    span_in(program, found).map_or(usize::MAX, |span| span.start)
                });
            if let Some((expect, found)) = other {
                let start = span_in(program, found).map_or(program.len(), |span| span.start);
                let found_character = program.get(start..).and_then(|rest| rest.chars().next());
                let range = start..start + found_character.map_or(0, char::len_utf8);
                let message = match (expect, found_character) {
                    (LexExpect::Token, Some('\'')) => {
                        "unexpected character `'`: jq strings are written in double quotes"
                            .to_string()
                    }
                    (LexExpect::Token, Some(character)) => {
                        format!("unexpected character `{character}`")
                    }
                    (LexExpect::Digit, _) => "expected a digit".to_string(),
                    (LexExpect::Ident, _) => "expected a name after `$` or `@`".to_string(),
                    (LexExpect::Escape, _) => "invalid escape sequence in a string".to_string(),
                    (LexExpect::Unicode, _) => {
                        "expected 4 hexadecimal digits after `\\u`".to_string()
                    }
                    _ => "unexpected input".to_string(),
                };
                return Some(CompileFailure {
                    range,
                    message,
                    undefined: false,
                });
            }
            let unclosed = errors
                .iter()
                .filter_map(|(expect, _)| match expect {
                    LexExpect::Delim(open) => Some(*open),
                    _ => None,
                })
                .max_by_key(|open| span_in(program, open).map_or(0, |span| span.start))?;
            let start = span_in(program, unclosed).map_or(0, |span| span.start);
            let opening = program
                .get(start..)
                .and_then(|rest| rest.chars().next())
                .unwrap_or('(');
            let message = if opening == '"' {
                "the string is never closed by `\"`".to_string()
            } else {
                let closing = match opening {
                    '[' => ']',
                    '{' => '}',
                    _ => ')',
                };
                format!("`{opening}` is never closed by `{closing}`")
            };
            Some(CompileFailure {
                range: start..start + opening.len_utf8(),
                message,
                undefined: false,
            })
        }
        Error::Parse(errors) => {
            let (expect, found) = errors.into_iter().next()?;
            let range = span_in(program, found).unwrap_or(program.len()..program.len());
            let expected = match expect {
                jaq_core::load::parse::Expect::Just(token) => format!("`{token}`"),
                other => other.as_str().to_string(),
            };
            let found_text = if found.is_empty() {
                "the end of the program".to_string()
            } else {
                format!("`{found}`")
            };
            Some(CompileFailure {
                range,
                message: format!("expected {expected}, found {found_text}"),
                undefined: false,
            })
        }
        Error::Io(errors) => {
            let (path, _) = errors.into_iter().next()?;
            Some(CompileFailure {
                range: span_in(program, path).unwrap_or(0..program.len()),
                message: "jq modules (`import`/`include`) cannot be loaded by Conductor"
                    .to_string(),
                undefined: false,
            })
        }
    }
}

/// The range of `part` in `whole` when `part` is a slice of it.
fn span_in(whole: &str, part: &str) -> Option<Range<usize>> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    let end = start.checked_add(part.len())?;
    (end <= whole.len() && whole.is_char_boundary(start) && whole.is_char_boundary(end))
        .then_some(start..end)
}

/// Whether the program writes a number with a leading dot (`.5`), outside strings.
fn has_leading_dot_number(program: &str) -> bool {
    let bytes = program.as_bytes();
    let mut in_string = false;
    let mut escaped = false;
    for (index, &byte) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'.' if bytes.get(index + 1).is_some_and(u8::is_ascii_digit) => {
                let previous = index
                    .checked_sub(1)
                    .and_then(|previous| bytes.get(previous));
                let continues_a_term = previous.is_some_and(|&previous| {
                    previous.is_ascii_alphanumeric() || b"_]).\"?$".contains(&previous)
                });
                if !continues_a_term {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// The parsed definitions (builtin stubs, then jaq's), with the names each one mentions.
struct Prelude {
    definitions: Vec<Def<&'static str>>,
    /// For each definition, the names its body mentions (over-approximated: every quoted string of
    /// its debug representation).
    mentions: Vec<Vec<String>>,
    by_name: HashMap<&'static str, Vec<usize>>,
}

static STUB_SOURCE: LazyLock<String> = LazyLock::new(|| {
    let mut source = String::new();
    for (name, arity) in JQ_BUILTINS {
        let parameters: Vec<String> = (0..*arity).map(|index| format!("f{index}")).collect();
        if parameters.is_empty() {
            source.push_str(&format!("def {name}: .;\n"));
        } else {
            source.push_str(&format!("def {name}({}): .;\n", parameters.join("; ")));
        }
    }
    source
});

static PRELUDE: LazyLock<Prelude> = LazyLock::new(|| {
    let stubs =
        jaq_core::load::parse(STUB_SOURCE.as_str(), |parser| parser.defs()).unwrap_or_default();
    let definitions: Vec<Def<&'static str>> = stubs
        .into_iter()
        .chain(jaq_core::defs())
        .chain(jaq_std::defs())
        .chain(jaq_json::defs())
        .collect();
    let mentions = definitions
        .iter()
        .map(|definition| quoted_strings(&format!("{:?}", definition.body)))
        .collect();
    let mut by_name: HashMap<&'static str, Vec<usize>> = HashMap::new();
    for (index, definition) in definitions.iter().enumerate() {
        by_name.entry(definition.name).or_default().push(index);
    }
    Prelude {
        definitions,
        mentions,
        by_name,
    }
});

impl Prelude {
    /// Indexes of the definitions a program may reach, by name.
    fn reachable_from(&self, program: &str) -> Vec<usize> {
        let mut seen_names: HashSet<String> = HashSet::new();
        let mut pending: Vec<String> = words(program);
        let mut reachable = Vec::new();
        while let Some(name) = pending.pop() {
            if !seen_names.insert(name.clone()) {
                continue;
            }
            for &index in self
                .by_name
                .get(name.as_str())
                .map(Vec::as_slice)
                .unwrap_or(&[])
            {
                reachable.push(index);
                if let Some(mentions) = self.mentions.get(index) {
                    pending.extend(mentions.iter().cloned());
                }
            }
        }
        reachable.sort_unstable();
        reachable.dedup();
        reachable
    }

    fn definitions_at<'a>(
        &'a self,
        indexes: &'a [usize],
    ) -> impl Iterator<Item = Def<&'static str>> + 'a {
        indexes
            .iter()
            .filter_map(|&index| self.definitions.get(index).cloned())
    }
}

/// Every name-like word of a program (identifiers and `@formats`), over-approximated.
fn words(program: &str) -> Vec<String> {
    program
        .split(|character: char| {
            !(character.is_ascii_alphanumeric() || character == '_' || character == '@')
        })
        .filter(|word| !word.is_empty())
        .map(str::to_string)
        .collect()
}

/// The contents of every double-quoted string in a debug representation.
fn quoted_strings(debug: &str) -> Vec<String> {
    let mut strings = Vec::new();
    let mut current: Option<String> = None;
    let mut escaped = false;
    for character in debug.chars() {
        match current.as_mut() {
            None => {
                if character == '"' {
                    current = Some(String::new());
                }
            }
            Some(text) => {
                if escaped {
                    text.push(character);
                    escaped = false;
                } else if character == '\\' {
                    escaped = true;
                } else if character == '"' {
                    strings.extend(current.take());
                } else {
                    text.push(character);
                }
            }
        }
    }
    strings
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn error_of(program: &str) -> JqError {
        match check_syntax(program) {
            Ok(()) => panic!("expected an error in {program:?}"),
            Err(error) => error,
        }
    }

    #[test]
    fn valid_programs() {
        for program in [
            ".",
            ".key1 | .key2",
            "{a: .x}",
            "[.items[] | select(.ok)]",
            ".a // \"default\"",
            "reduce .[] as $x (0; . + $x)",
            "foreach .[] as $x (0; . + $x; [$x, .])",
            "\"\\(.a)-\\(.b)\"",
            "$__loc__",
            "{$__loc__}",
            "$ENV.HOME",
            "env.HOME",
            ".persons | map({user:{email,id}})",
            "{ key3: (.key1.value1 + .key2.value2) }",
            "to_entries | map(\"\\(.key)=\\(.value)\") | join(\"&\")",
            "with_entries(select(.value != null))",
            "if .a then 1 elif .b then 2 else 3 end",
            "try error(\"x\") catch .",
            "def addvalue(f): f as $x | map(. + $x); addvalue(.[0])",
            ". as [$a, $b] | {a: $a, b: $b}",
            ".[1:-1] | .[-1]",
            "[paths] | length",
            "@base64 \"x\\(.)\" | @base64d",
            "now | todate",
            "test(\"^a\"; \"i\")",
            "gsub(\"\\\\s+\"; \" \")",
            "limit(3; .[])",
            ".a |= . + 1 | .b += 1 | .c //= 2",
            "..|numbers",
            ".[]? | .a?",
            "# a comment\n.a",
            "{ requestTransform: .input.requestTransform // \".body\", method: .input.method // \"GET\" }",
        ] {
            assert_eq!(check_syntax(program), Ok(()), "{program}");
        }
    }

    #[test]
    fn jq_builtins_missing_from_jaq_are_accepted() {
        for program in [
            "@csv",
            "@tsv",
            "@base32d",
            "[leaf_paths]",
            "tostream",
            "fromstream(tostream)",
            "1 | truncate_stream(tostream)",
            "IN(1, 2)",
            "INDEX(.id)",
            "input",
            "[inputs]",
            "dateadd(\"seconds\"; 10)",
            "isvalid(.a)",
            "input_line_number",
            "builtins | length",
        ] {
            assert_eq!(check_syntax(program), Ok(()), "{program}");
        }
    }

    #[test]
    fn leading_dot_numbers_are_accepted() {
        assert_eq!(check_syntax(".5 + .a"), Ok(()));
        assert_eq!(check_syntax("[.25, 1]"), Ok(()));
    }

    #[test]
    fn conductor_expressions_are_masked() {
        assert_eq!(
            check_syntax("${default_variables.output.result.requestTransform}"),
            Ok(())
        );
        assert_eq!(
            check_syntax(".items[] | select(.id == \"${workflow.input.id}\")"),
            Ok(())
        );
        assert_eq!(check_syntax(".a | ${workflow.input.transform}"), Ok(()));
        // Errors away from the expression are still reported, at the original offsets.
        let program = "${workflow.input.f} | mapp(.a)";
        let error = error_of(program);
        assert_eq!(&program[error.range.clone()], "mapp");
        // `$${` is Conductor's escape for `${`, which jq then sees inside the string.
        assert_eq!(check_syntax("\"$${not an expression}\""), Ok(()));
    }

    #[test]
    fn unexpected_end() {
        let error = error_of(".a +");
        assert_eq!(error.range, 4..4);
        assert!(
            error.message.contains("end of the program"),
            "{}",
            error.message
        );
    }

    #[test]
    fn unexpected_token() {
        let program = ".a | | .b";
        let error = error_of(program);
        assert_eq!(&program[error.range.clone()], "|");
        assert_eq!(error.range, 5..6);
    }

    #[test]
    fn unclosed_delimiters_point_at_the_opening() {
        let error = error_of("map(.a");
        assert_eq!(error.range, 3..4);
        assert!(error.message.contains('('), "{}", error.message);
        let error = error_of("[1, {a: 2}");
        assert_eq!(error.range, 0..1);
        let error = error_of(".a | \"abc");
        assert_eq!(error.range, 5..6);
        assert!(error.message.contains("string"), "{}", error.message);
    }

    #[test]
    fn single_quoted_strings_are_rejected() {
        let program = "[{id: 1, value: 'task1'}, {id: 2, value: 'task2'}]";
        let error = error_of(program);
        assert_eq!(error.range, 16..17);
        assert!(error.message.contains("double quotes"), "{}", error.message);
    }

    #[test]
    fn undefined_function_and_variable() {
        let program = ".items | mapp(.a)";
        let error = error_of(program);
        assert_eq!(&program[error.range.clone()], "mapp");
        assert_eq!(error.message, "undefined function `mapp/1`");
        let program = ".a as $x | $y";
        let error = error_of(program);
        assert_eq!(&program[error.range.clone()], "$y");
        assert!(
            error.message.contains("undefined variable"),
            "{}",
            error.message
        );
        let program = "getpath";
        let error = error_of(program);
        assert_eq!(error.message, "undefined function `getpath/0`");
    }

    #[test]
    fn destructuring_alternative_is_rejected_like_jackson_jq() {
        let program = ". as [$a] ?// $a | $a";
        let error = error_of(program);
        assert_eq!(&program[error.range.clone()], "?");
    }

    #[test]
    fn modules_are_rejected() {
        let program = "import \"foo\" as bar; .";
        let error = error_of(program);
        assert_eq!(&program[error.range.clone()], "foo");
    }

    #[test]
    fn non_ascii_programs() {
        assert_eq!(check_syntax(".\"ключ\" | \"✓ \\(.)\""), Ok(()));
        let program = ".a | ключ";
        let error = error_of(program);
        assert_eq!(&program[error.range.clone()], "к");
    }

    #[test]
    fn empty_program() {
        assert!(check_syntax("").is_err());
    }

    #[test]
    fn words_and_quoted_strings() {
        assert_eq!(words("map(.a) | @csv"), vec!["map", "a", "@csv"]);
        assert_eq!(
            quoted_strings(r#"Call("f", [Str("a\"b")])"#),
            vec!["f".to_string(), "a\"b".to_string()]
        );
    }

    /// Prints the cost of a check; run with `--nocapture` to see it. No assertion on time.
    #[test]
    fn measure_cost_per_check() {
        let program = "(.tools // []) as $all | ($all | map(select(.name | test(\"^(delete_|drop_)\") | not))) \
                       as $safe | {catalog: ($safe | map({name: .name})), discovered: ($all | length)}";
        assert_eq!(check_syntax(program), Ok(()));
        let rounds = 100u32;
        let started = Instant::now();
        for _ in 0..rounds {
            let _ = check_syntax(program);
        }
        println!("jq syntax check: {:?} per call", started.elapsed() / rounds);
    }
}
