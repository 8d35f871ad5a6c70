//! The type language of wfc: what a value flowing between tasks may be.
//!
//! Types are written as strings (`list<Device>?`) or YAML mappings (object types); this module
//! holds the [`Type`] representation, the parser for the string syntax, display, and the
//! assignability relation the checker uses. Named types are expanded where they are resolved
//! (keeping the name for messages), so the checker never needs a type table.

use std::fmt;

use crate::diagnostic::Span;
use crate::source::FileId;

/// A wfc type.
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    /// Anything; never reported.
    Any,
    /// The type of something that failed to resolve; never reported again (no cascades).
    Error,
    Null,
    String,
    Int,
    Number,
    Bool,
    Enum(Vec<String>),
    List(Box<Type>),
    Map(Box<Type>),
    Object(ObjectType),
    /// `T?`: `T`, absent, or null.
    Optional(Box<Type>),
    /// A named type, already expanded (the name is kept for messages).
    Named(String, Box<Type>),
    /// A name still to be resolved against `types:`; only exists between lowering and resolution.
    Unresolved(String, Span),
}

/// A field of an object type.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub ty: Type,
    /// Callers may leave it out (written `name?`, `optional: true`, or having a default).
    pub optional: bool,
    /// The declared default value (shared: fields are cloned with their types).
    pub default: Option<std::sync::Arc<crate::syntax::Node>>,
    pub description: Option<String>,
    pub deprecated: Option<String>,
    /// Where the field is declared.
    pub file: FileId,
    pub span: Span,
}

impl Field {
    /// Whether the declaration gives a default value.
    pub fn has_default(&self) -> bool {
        self.default.is_some()
    }
}

/// An object type: named fields. `open` objects accept (and give `any` for) undeclared fields.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObjectType {
    pub fields: Vec<Field>,
    pub open: bool,
}

impl ObjectType {
    pub fn closed(fields: Vec<Field>) -> ObjectType {
        ObjectType {
            fields,
            open: false,
        }
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|field| field.name == name)
    }
}

impl Type {
    /// Builds an object type of built-in fields (no declaration site).
    pub fn builtin_object(fields: &[(&str, Type)], open: bool) -> Type {
        Type::Object(ObjectType {
            fields: fields
                .iter()
                .map(|(name, ty)| Field {
                    name: (*name).to_string(),
                    ty: ty.clone(),
                    optional: false,
                    default: None,
                    description: None,
                    deprecated: None,
                    file: FileId::default(),
                    span: Span::default(),
                })
                .collect(),
            open,
        })
    }

    /// The type with names and optionality peeled off.
    pub fn structure(&self) -> &Type {
        match self {
            Type::Named(_, inner) => inner.structure(),
            other => other,
        }
    }

    pub fn is_optional(&self) -> bool {
        match self {
            Type::Optional(_) | Type::Null => true,
            Type::Named(_, inner) => inner.is_optional(),
            _ => false,
        }
    }

    /// `T?` of this type (idempotent).
    pub fn optional(self) -> Type {
        if self.is_optional() || matches!(self, Type::Any | Type::Error) {
            self
        } else {
            Type::Optional(Box::new(self))
        }
    }

    /// The type without its outer `?`.
    pub fn required(&self) -> &Type {
        match self {
            Type::Optional(inner) => inner.required(),
            Type::Named(_, inner) if inner.is_optional() => inner.required(),
            other => other,
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self.structure(), Type::Any | Type::Error)
    }
}

impl fmt::Display for Type {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Any => write!(formatter, "any"),
            Type::Error => write!(formatter, "unknown"),
            Type::Null => write!(formatter, "null"),
            Type::String => write!(formatter, "string"),
            Type::Int => write!(formatter, "int"),
            Type::Number => write!(formatter, "number"),
            Type::Bool => write!(formatter, "bool"),
            Type::Enum(values) => write!(formatter, "enum({})", values.join(", ")),
            Type::List(item) => write!(formatter, "list<{item}>"),
            Type::Map(value) => write!(formatter, "map<{value}>"),
            Type::Object(object) => {
                write!(formatter, "{{")?;
                for (index, field) in object.fields.iter().enumerate() {
                    if index > 0 {
                        write!(formatter, ", ")?;
                    }
                    if index == 6 {
                        write!(formatter, "…")?;
                        break;
                    }
                    let mark = if field.optional { "?" } else { "" };
                    write!(formatter, "{}{mark}: {}", field.name, field.ty)?;
                }
                if object.open {
                    write!(
                        formatter,
                        "{}…",
                        if object.fields.is_empty() { "" } else { ", " }
                    )?;
                }
                write!(formatter, "}}")
            }
            Type::Optional(inner) => write!(formatter, "{inner}?"),
            Type::Named(name, _) | Type::Unresolved(name, _) => write!(formatter, "{name}"),
        }
    }
}

/// Why a value of one type cannot be used where another is expected.
#[derive(Debug, Clone, PartialEq)]
pub enum Mismatch {
    /// The value may be absent and the target requires it.
    Optional,
    /// The types are incompatible; the path says where inside (e.g. `.items[].id`).
    Incompatible {
        path: String,
        found: Type,
        expected: Type,
    },
}

/// Checks that a value of type `from` can be used where `to` is expected.
pub fn assignable(from: &Type, to: &Type) -> Result<(), Mismatch> {
    assignable_at(from, to, &mut String::new(), 0)
}

/// [`assignable`] of `from` to `to.clone().optional()`, without building that type (the
/// checker asks it for every value given to an optional field).
pub fn assignable_to_optional(from: &Type, to: &Type) -> Result<(), Mismatch> {
    if to.is_optional() || matches!(to, Type::Any | Type::Error) {
        // `optional()` leaves these as they are.
        return assignable(from, to);
    }
    // The arms of `assignable_at` that apply when the target is `Optional(to)`.
    match from.structure() {
        Type::Any | Type::Error | Type::Unresolved(..) | Type::Null => Ok(()),
        Type::Optional(inner_from) => assignable_at(inner_from, to, &mut String::new(), 1),
        from_structure => assignable_at(from_structure, to, &mut String::new(), 1),
    }
}

fn assignable_at(from: &Type, to: &Type, path: &mut String, depth: usize) -> Result<(), Mismatch> {
    if depth > 64 {
        return Ok(());
    }
    let incompatible = |path: &String| Mismatch::Incompatible {
        path: path.clone(),
        found: from.clone(),
        expected: to.clone(),
    };
    let (from_structure, to_structure) = (from.structure(), to.structure());
    match (from_structure, to_structure) {
        (Type::Any | Type::Error | Type::Unresolved(..), _)
        | (_, Type::Any | Type::Error | Type::Unresolved(..)) => Ok(()),
        (Type::Optional(inner_from), Type::Optional(inner_to)) => {
            assignable_at(inner_from, inner_to, path, depth + 1)
        }
        (Type::Null, Type::Optional(_)) => Ok(()),
        (_, Type::Optional(inner_to)) => assignable_at(from_structure, inner_to, path, depth + 1),
        (Type::Optional(inner_from), _) => {
            match assignable_at(inner_from, to_structure, path, depth + 1) {
                Ok(()) if path.is_empty() => Err(Mismatch::Optional),
                Ok(()) => Err(incompatible(path)),
                Err(error) => Err(error),
            }
        }
        (Type::Null, _) => Err(incompatible(path)),
        (Type::String, Type::String)
        | (Type::Int, Type::Int | Type::Number)
        | (Type::Number, Type::Number)
        | (Type::Bool, Type::Bool)
        | (Type::Enum(_), Type::String) => Ok(()),
        (Type::Enum(from_values), Type::Enum(to_values)) => {
            if from_values.iter().all(|value| to_values.contains(value)) {
                Ok(())
            } else {
                Err(incompatible(path))
            }
        }
        (Type::List(from_item), Type::List(to_item)) => {
            let length = path.len();
            path.push_str("[]");
            let result = assignable_at(from_item, to_item, path, depth + 1);
            path.truncate(length);
            result
        }
        (Type::Map(from_value), Type::Map(to_value)) => {
            assignable_at(from_value, to_value, path, depth + 1)
        }
        (Type::Object(object), Type::Map(to_value)) => {
            for field in &object.fields {
                let length = path.len();
                path.push('.');
                path.push_str(&field.name);
                let result = assignable_at(&field.ty, to_value, path, depth + 1);
                path.truncate(length);
                result?;
            }
            Ok(())
        }
        (Type::Map(from_value), Type::Object(object)) => {
            // A map may hold any key: acceptable only if the object requires nothing specific.
            if object.fields.iter().all(|field| field.optional)
                && assignable_at(from_value, &Type::Any, path, depth + 1).is_ok()
            {
                Ok(())
            } else {
                Err(incompatible(path))
            }
        }
        (Type::Object(from_object), Type::Object(to_object)) => {
            for field in &to_object.fields {
                let length = path.len();
                path.push('.');
                path.push_str(&field.name);
                let result = match from_object.field(&field.name) {
                    Some(source) if field.optional => {
                        assignable_at(&source.ty, &field.ty.clone().optional(), path, depth + 1)
                    }
                    Some(source) if source.optional && !field.optional => {
                        Err(Mismatch::Incompatible {
                            path: path.clone(),
                            found: source.ty.clone().optional(),
                            expected: field.ty.clone(),
                        })
                    }
                    Some(source) => assignable_at(&source.ty, &field.ty, path, depth + 1),
                    None if field.optional || from_object.open => Ok(()),
                    None => Err(Mismatch::Incompatible {
                        path: path.clone(),
                        found: Type::Null,
                        expected: field.ty.clone(),
                    }),
                };
                path.truncate(length);
                result?;
            }
            Ok(())
        }
        _ => Err(incompatible(path)),
    }
}

/// A syntax error in a type expression, with a byte range relative to the expression text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeSyntaxError {
    pub start: usize,
    pub end: usize,
    pub message: String,
}

/// The built-in type names, for did-you-mean suggestions.
pub const BUILTIN_TYPE_NAMES: &[&str] = &[
    "string", "int", "number", "bool", "any", "null", "list", "map", "enum", "object",
];

/// Parses a type expression such as `list<map<Device>>?` or `enum(a, b)`.
///
/// Names that are not built in become [`Type::Unresolved`] with `span_of(start, end)` spans, to be
/// resolved against `types:` later.
pub fn parse_type(
    text: &str,
    span_of: &dyn Fn(usize, usize) -> Span,
) -> Result<Type, TypeSyntaxError> {
    let mut parser = TypeParser {
        text,
        position: 0,
        span_of,
    };
    let ty = parser.parse(0)?;
    parser.skip_spaces();
    if parser.position < text.len() {
        return Err(parser.error_here("unexpected text after the type"));
    }
    Ok(ty)
}

struct TypeParser<'text, 'callback> {
    text: &'text str,
    position: usize,
    span_of: &'callback dyn Fn(usize, usize) -> Span,
}

impl<'text> TypeParser<'text, '_> {
    fn skip_spaces(&mut self) {
        while self.text[self.position..].starts_with([' ', '\t']) {
            self.position += 1;
        }
    }

    fn peek(&self) -> Option<char> {
        self.text[self.position..].chars().next()
    }

    fn error_here(&self, message: &str) -> TypeSyntaxError {
        let end = self.text[self.position..]
            .chars()
            .next()
            .map_or(self.position, |character| {
                self.position + character.len_utf8()
            });
        TypeSyntaxError {
            start: self.position,
            end,
            message: message.to_string(),
        }
    }

    fn expect(&mut self, wanted: char) -> Result<(), TypeSyntaxError> {
        self.skip_spaces();
        if self.peek() == Some(wanted) {
            self.position += 1;
            Ok(())
        } else {
            Err(self.error_here(&format!("expected `{wanted}`")))
        }
    }

    fn identifier(&mut self) -> Option<(usize, &'text str)> {
        let text = self.text;
        self.skip_spaces();
        let start = self.position;
        let length = text[start..]
            .find(|character: char| {
                !(character.is_alphanumeric() || character == '_' || character == '-')
            })
            .unwrap_or(text.len() - start);
        if length == 0 {
            return None;
        }
        self.position += length;
        Some((start, &text[start..start + length]))
    }

    fn parse(&mut self, depth: usize) -> Result<Type, TypeSyntaxError> {
        if depth > 32 {
            return Err(self.error_here("type is nested too deeply"));
        }
        self.skip_spaces();
        let mut ty = if self.peek() == Some('[') {
            self.position += 1;
            let item = self.parse(depth + 1)?;
            self.expect(']')?;
            Type::List(Box::new(item))
        } else {
            let Some((start, name)) = self.identifier() else {
                return Err(self.error_here("expected a type"));
            };
            let end = start + name.len();
            match name {
                "string" => Type::String,
                "int" | "integer" => Type::Int,
                "number" | "float" => Type::Number,
                "bool" | "boolean" => Type::Bool,
                "any" => Type::Any,
                "null" => Type::Null,
                "object" => Type::Object(ObjectType {
                    fields: Vec::new(),
                    open: true,
                }),
                "list" | "map" => {
                    self.expect('<')?;
                    let inner = self.parse(depth + 1)?;
                    self.expect('>')?;
                    if name == "list" {
                        Type::List(Box::new(inner))
                    } else {
                        Type::Map(Box::new(inner))
                    }
                }
                "enum" => {
                    self.expect('(')?;
                    let mut values = Vec::new();
                    loop {
                        self.skip_spaces();
                        let value_start = self.position;
                        let length = self.text[value_start..]
                            .find([',', ')'])
                            .unwrap_or(self.text.len() - value_start);
                        let value = self.text[value_start..value_start + length]
                            .trim()
                            .trim_matches(['"', '\'']);
                        if value.is_empty() {
                            return Err(self.error_here("expected an enum value"));
                        }
                        values.push(value.to_string());
                        self.position = value_start + length;
                        if self.peek() == Some(',') {
                            self.position += 1;
                            continue;
                        }
                        self.expect(')')?;
                        break;
                    }
                    Type::Enum(values)
                }
                _ => {
                    if name.starts_with(|character: char| character.is_ascii_digit()) {
                        return Err(TypeSyntaxError {
                            start,
                            end,
                            message: "a type name cannot start with a digit".into(),
                        });
                    }
                    Type::Unresolved(name.to_string(), (self.span_of)(start, end))
                }
            }
        };
        self.skip_spaces();
        while self.peek() == Some('?') {
            self.position += 1;
            ty = ty.optional();
            self.skip_spaces();
        }
        Ok(ty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Type {
        parse_type(text, &|start, end| Span::new(start, end)).expect("parses")
    }

    #[test]
    fn parses_the_type_syntax() {
        assert_eq!(parse("list<map<int>>?").to_string(), "list<map<int>>?");
        assert_eq!(parse("[string]").to_string(), "list<string>");
        assert_eq!(parse("enum(a, b , 'c')").to_string(), "enum(a, b, c)");
        assert_eq!(parse(" Device ").to_string(), "Device");
        let error =
            parse_type("list<string", &|start, end| Span::new(start, end)).expect_err("fails");
        assert_eq!(error.start, 11);
        assert!(parse_type("list<>", &|start, end| Span::new(start, end)).is_err());
        assert!(parse_type("string int", &|start, end| Span::new(start, end)).is_err());
    }

    #[test]
    fn assignability() {
        assert!(assignable(&Type::Int, &Type::Number).is_ok());
        assert!(assignable(&Type::Number, &Type::Int).is_err());
        assert_eq!(
            assignable(&Type::String.optional(), &Type::String),
            Err(Mismatch::Optional)
        );
        assert!(assignable(&Type::String, &Type::String.optional()).is_ok());
        assert!(assignable(&Type::Enum(vec!["a".into()]), &Type::String).is_ok());
        assert!(assignable(&Type::String, &Type::Enum(vec!["a".into()])).is_err());
        let device = Type::builtin_object(&[("id", Type::String), ("port", Type::Int)], false);
        let wanted = Type::builtin_object(&[("id", Type::String)], false);
        assert!(assignable(&device, &wanted).is_ok());
        let Err(Mismatch::Incompatible { path, .. }) = assignable(
            &Type::List(Box::new(wanted.clone())),
            &Type::List(Box::new(device)),
        ) else {
            panic!("expected a mismatch")
        };
        assert_eq!(path, "[].port");
        assert!(assignable(&Type::Any, &wanted).is_ok());
    }
}
