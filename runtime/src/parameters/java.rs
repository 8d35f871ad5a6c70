//! How Java prints the values Conductor substitutes into strings, and the exact decimal numbers
//! Jayway compares in filters.
//!
//! When a `${...}` expression is part of a larger string, `ParametersUtils.replaceVariables`
//! inserts `Objects.toString(value)`. The value is whatever Jayway JsonPath returned:
//!
//! * a value of the expression document, which Jackson built: `LinkedHashMap` (prints
//!   `{a=1, b=x}`), `ArrayList` (`[1, x]`), `Integer`/`Long`, `Double` (`Double.toString`: `2.5`,
//!   `1.0E10`), `Boolean`, `String` (as is) and `null` (`null`);
//! * for an *indefinite* path (`..`, `*`, filters, slices, index lists) a json-smart `JSONArray`,
//!   whose `toString` is compact JSON in json-smart's own style (`["a\/b",1.0E10]`: `/` escaped,
//!   doubles printed by `Double.toString`, some Unicode ranges escaped).
//!
//! [`Decimal`] is `java.math.BigDecimal` as far as Jayway's filters use it (parse, compare,
//! `toString`).

use std::cmp::Ordering;
use std::fmt::Write as _;

use serde_json::{Number, Value};

/// `Objects.toString(value)` for a value of the expression document.
pub(super) fn to_java_string(value: &Value) -> String {
    let mut text = String::new();
    write_java(value, &mut text);
    text
}

fn write_java(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Number(number) => out.push_str(&number_to_java_string(number)),
        Value::String(text) => out.push_str(text),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_java(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (index, (key, item)) in map.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                out.push_str(key);
                out.push('=');
                write_java(item, out);
            }
            out.push('}');
        }
    }
}

/// `toString()` of the boxed number Jackson would have made: integers as they are, floating-point
/// numbers as `Double.toString`.
pub(super) fn number_to_java_string(number: &Number) -> String {
    if let Some(integer) = number.as_i64() {
        integer.to_string()
    } else if let Some(integer) = number.as_u64() {
        integer.to_string()
    } else {
        double_to_string(number.as_f64().unwrap_or(0.0))
    }
}

/// `Double.toString(double)` (JDK 19 and later: the shortest decimal that rounds to the value):
/// plain notation with at least one fraction digit between 10⁻³ and 10⁷, otherwise
/// `d.dddE±n`.
pub(super) fn double_to_string(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    if value == 0.0 {
        return if value.is_sign_negative() {
            "-0.0"
        } else {
            "0.0"
        }
        .to_string();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "-1.2345e-5".
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut text = String::new();
    if negative {
        text.push('-');
    }
    let magnitude = value.abs();
    if (1e-3..1e7).contains(&magnitude) {
        if exponent >= 0 {
            let integer_length = usize::try_from(exponent).unwrap_or(0) + 1;
            if digits.len() <= integer_length {
                text.push_str(&digits);
                text.extend(std::iter::repeat_n('0', integer_length - digits.len()));
                text.push_str(".0");
            } else {
                text.push_str(digits.get(..integer_length).unwrap_or(""));
                text.push('.');
                text.push_str(digits.get(integer_length..).unwrap_or(""));
            }
        } else {
            text.push_str("0.");
            let zeros = usize::try_from(-exponent - 1).unwrap_or(0);
            text.extend(std::iter::repeat_n('0', zeros));
            text.push_str(&digits);
        }
    } else {
        text.push_str(digits.get(..1).unwrap_or("0"));
        text.push('.');
        let rest = digits.get(1..).unwrap_or("");
        text.push_str(if rest.is_empty() { "0" } else { rest });
        let _ = write!(text, "E{exponent}");
    }
    text
}

/// `JSONArray.toString()` of json-smart for the list an indefinite path returns.
pub(super) fn to_json_smart_array(items: &[Value]) -> String {
    let mut out = String::from("[");
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        write_json_smart(item, &mut out);
    }
    out.push(']');
    out
}

fn write_json_smart(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Number(number) => out.push_str(&number_to_java_string(number)),
        Value::String(text) => write_json_smart_string(text, out),
        Value::Array(items) => out.push_str(&to_json_smart_array(items)),
        Value::Object(map) => {
            out.push('{');
            for (index, (key, item)) in map.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_json_smart_string(key, out);
                out.push(':');
                write_json_smart(item, out);
            }
            out.push('}');
        }
    }
}

/// json-smart's `JStylerObj.ESCAPE4Web` (the default `JSONStyle.NO_COMPRESS`).
fn write_json_smart_string(text: &str, out: &mut String) {
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '/' => out.push_str("\\/"),
            '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{2000}'..='\u{20ff}' => {
                let _ = write!(out, "\\u{:04X}", u32::from(character));
            }
            _ => out.push(character),
        }
    }
    out.push('"');
}

/// Compares two strings as Java's `String.compareTo` does (UTF-16 code units).
pub(super) fn compare_java_strings(left: &str, right: &str) -> Ordering {
    left.encode_utf16().cmp(right.encode_utf16())
}

/// Java's `String.length()` (UTF-16 code units).
pub(super) fn java_length(text: &str) -> usize {
    text.encode_utf16().count()
}

/// A `java.math.BigDecimal`: `unscaled × 10^-scale`, with the digits of the unscaled value kept
/// exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Decimal {
    negative: bool,
    /// Decimal digits of the unscaled value, most significant first, without leading zeros
    /// (empty for zero).
    digits: Vec<u8>,
    scale: i64,
}

impl Decimal {
    /// `new BigDecimal(String)`: optional sign, digits with an optional point (at least one
    /// digit), optional exponent. `None` is a `NumberFormatException`.
    pub(super) fn parse(text: &str) -> Option<Decimal> {
        let bytes = text.as_bytes();
        let mut index = 0;
        let mut negative = false;
        match bytes.first() {
            Some(b'-') => {
                negative = true;
                index = 1;
            }
            Some(b'+') => index = 1,
            _ => {}
        }
        let mut digits = Vec::new();
        let mut fraction_digits: i64 = 0;
        let mut seen_point = false;
        let mut seen_digit = false;
        while let Some(&byte) = bytes.get(index) {
            match byte {
                b'0'..=b'9' => {
                    seen_digit = true;
                    digits.push(byte - b'0');
                    if seen_point {
                        fraction_digits += 1;
                    }
                }
                b'.' if !seen_point => seen_point = true,
                b'e' | b'E' => break,
                _ => return None,
            }
            index += 1;
        }
        if !seen_digit {
            return None;
        }
        let mut exponent: i64 = 0;
        if matches!(bytes.get(index), Some(b'e' | b'E')) {
            let exponent_text = text.get(index + 1..)?;
            let unsigned = exponent_text
                .strip_prefix('+')
                .or_else(|| exponent_text.strip_prefix('-'))
                .unwrap_or(exponent_text);
            if unsigned.is_empty() || !unsigned.bytes().all(|byte| byte.is_ascii_digit()) {
                return None;
            }
            exponent = exponent_text.parse().ok()?;
        }
        let leading_zeros = digits.iter().take_while(|&&digit| digit == 0).count();
        digits.drain(..leading_zeros);
        Some(Decimal {
            negative: negative && !digits.is_empty(),
            digits,
            scale: fraction_digits - exponent,
        })
    }

    /// The decimal of a JSON number, through its Java `toString()` as Jayway does
    /// (`new BigDecimal(number.toString())`).
    pub(super) fn from_number(number: &Number) -> Option<Decimal> {
        Decimal::parse(&number_to_java_string(number))
    }

    fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// `BigDecimal.compareTo`: by value, ignoring the scale.
    pub(super) fn compare(&self, other: &Decimal) -> Ordering {
        match (self.is_zero(), other.is_zero()) {
            (true, true) => return Ordering::Equal,
            (true, false) => {
                return if other.negative {
                    Ordering::Greater
                } else {
                    Ordering::Less
                };
            }
            (false, true) => {
                return if self.negative {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
            }
            (false, false) => {}
        }
        if self.negative != other.negative {
            return if self.negative {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        let magnitude = self.compare_magnitude(other);
        if self.negative {
            magnitude.reverse()
        } else {
            magnitude
        }
    }

    fn compare_magnitude(&self, other: &Decimal) -> Ordering {
        // The position of the most significant digit: digits.len() - scale.
        let own_top = i64::try_from(self.digits.len()).unwrap_or(i64::MAX) - self.scale;
        let other_top = i64::try_from(other.digits.len()).unwrap_or(i64::MAX) - other.scale;
        if own_top != other_top {
            return own_top.cmp(&other_top);
        }
        let length = self.digits.len().max(other.digits.len());
        for index in 0..length {
            let own = self.digits.get(index).copied().unwrap_or(0);
            let theirs = other.digits.get(index).copied().unwrap_or(0);
            if own != theirs {
                return own.cmp(&theirs);
            }
        }
        Ordering::Equal
    }

    /// `BigDecimal.intValue()`: the integer part, keeping the low 32 bits.
    pub(super) fn int_value(&self) -> i64 {
        let integer_digits = i64::try_from(self.digits.len()).unwrap_or(i64::MAX) - self.scale;
        let mut value: i64 = 0;
        for index in 0..integer_digits.max(0) {
            let digit = usize::try_from(index)
                .ok()
                .and_then(|index| self.digits.get(index))
                .copied()
                .unwrap_or(0);
            value = value.wrapping_mul(10).wrapping_add(i64::from(digit));
        }
        let value = i64::from(value as i32);
        if self.negative {
            i64::from((-value) as i32)
        } else {
            value
        }
    }

    /// `BigDecimal.toString()`: plain notation when the scale is not negative and the adjusted
    /// exponent is at least -6, scientific notation (`1.0E+10`) otherwise.
    pub(super) fn to_java_string(&self) -> String {
        let digits: String = if self.digits.is_empty() {
            "0".to_string()
        } else {
            self.digits
                .iter()
                .map(|&digit| char::from(b'0' + digit))
                .collect()
        };
        let length = i64::try_from(digits.len()).unwrap_or(i64::MAX);
        let adjusted = -self.scale + (length - 1);
        let mut text = String::new();
        if self.negative {
            text.push('-');
        }
        if self.scale >= 0 && adjusted >= -6 {
            if self.scale == 0 {
                text.push_str(&digits);
            } else if length > self.scale {
                let split = usize::try_from(length - self.scale).unwrap_or(0);
                text.push_str(digits.get(..split).unwrap_or(""));
                text.push('.');
                text.push_str(digits.get(split..).unwrap_or(""));
            } else {
                text.push_str("0.");
                let zeros = usize::try_from(self.scale - length).unwrap_or(0);
                text.extend(std::iter::repeat_n('0', zeros));
                text.push_str(&digits);
            }
        } else {
            text.push_str(digits.get(..1).unwrap_or("0"));
            if digits.len() > 1 {
                text.push('.');
                text.push_str(digits.get(1..).unwrap_or(""));
            }
            text.push('E');
            if adjusted >= 0 {
                text.push('+');
            }
            let _ = write!(text, "{adjusted}");
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn doubles_print_like_java() {
        let cases = [
            (1.0, "1.0"),
            (2.5, "2.5"),
            (100.0, "100.0"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1e-5, "1.0E-5"),
            (1234567.0, "1234567.0"),
            (1e7, "1.0E7"),
            (1e10, "1.0E10"),
            (12345678.9, "1.23456789E7"),
            (-0.5, "-0.5"),
            (-0.0, "-0.0"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1.5e300, "1.5E300"),
            (123.456, "123.456"),
        ];
        for (value, expected) in cases {
            assert_eq!(double_to_string(value), expected, "{value}");
        }
    }

    #[test]
    fn values_print_like_objects_to_string() {
        let value = json!({"a": 1, "b": [1, "x", null, 2.0], "c": {"d": true}});
        assert_eq!(
            to_java_string(&value),
            "{a=1, b=[1, x, null, 2.0], c={d=true}}"
        );
        assert_eq!(to_java_string(&json!(null)), "null");
        assert_eq!(to_java_string(&json!("text")), "text");
    }

    #[test]
    fn json_smart_arrays_escape_like_json_smart() {
        let items = vec![
            json!("a/b"),
            json!("é\n\"\u{1}\u{2028}"),
            json!(1e10),
            json!({"k": [1]}),
        ];
        assert_eq!(
            to_json_smart_array(&items),
            r#"["a\/b","é\n\"\u0001\u2028",1.0E10,{"k":[1]}]"#
        );
    }

    #[test]
    fn decimals_compare_and_print_like_big_decimal() {
        let parse = |text: &str| Decimal::parse(text);
        assert_eq!(parse("1.0").map(|d| d.to_java_string()), Some("1.0".into()));
        assert_eq!(
            parse("1.0E10").map(|d| d.to_java_string()),
            Some("1.0E+10".into())
        );
        assert_eq!(
            parse("0.0000001").map(|d| d.to_java_string()),
            Some("1E-7".into())
        );
        assert_eq!(
            parse("-.5").map(|d| d.to_java_string()),
            Some("-0.5".into())
        );
        assert_eq!(parse("5.").map(|d| d.to_java_string()), Some("5".into()));
        assert_eq!(parse(""), None);
        assert_eq!(parse("-"), None);
        assert_eq!(parse("1.2.3"), None);
        let (Some(one), Some(one_point_zero), Some(two)) = (parse("1"), parse("1.00"), parse("2"))
        else {
            panic!("parse failed");
        };
        assert_eq!(one.compare(&one_point_zero), Ordering::Equal);
        assert_eq!(one.compare(&two), Ordering::Less);
        assert_eq!(parse("-3").map(|d| d.compare(&one)), Some(Ordering::Less));
        assert_eq!(
            parse("0").map(|d| d.compare(&parse("-0.0").unwrap_or(one.clone()))),
            Some(Ordering::Equal)
        );
        assert_eq!(parse("12.7").map(|d| d.int_value()), Some(12));
        assert_eq!(parse("-12.7").map(|d| d.int_value()), Some(-12));
    }
}
