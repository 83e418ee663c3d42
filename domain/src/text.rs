//! Validation shared by the text newtypes.

use crate::DomainError;

/// What `char::is_whitespace` (and so `trim`) removes, as a regex class body.
macro_rules! whitespace {
    () => {
        r"\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"
    };
}
/// What `char::is_control` finds (Unicode `Cc`), as a regex class body.
macro_rules! control {
    () => {
        r"\u0000-\u001F\u007F-\u009F"
    };
}

/// [`bounded`]'s rule as a regular expression (ECMA-262, Python and Rust `regex` read it
/// alike), for the spec: optional surrounding whitespace around text that is not blank and has
/// no control character. The length limit is the spec's `maxLength`.
pub const PATTERN: &str = concat!(
    "^[",
    whitespace!(),
    "]*[^",
    whitespace!(),
    control!(),
    "](?:[^",
    control!(),
    "]*[^",
    whitespace!(),
    control!(),
    "])?[",
    whitespace!(),
    "]*$"
);

/// Trims `raw` and checks it is 1..=`max` characters without control characters.
pub(crate) fn bounded(field: &'static str, raw: &str, max: usize) -> Result<String, DomainError> {
    bounded_allowing(
        field,
        raw,
        max,
        |_| false,
        "must not contain control characters",
    )
}

/// [`bounded`], allowing the control characters `allowed` accepts (`refusal` says which).
pub(crate) fn bounded_allowing(
    field: &'static str,
    raw: &str,
    max: usize,
    allowed: fn(char) -> bool,
    refusal: &'static str,
) -> Result<String, DomainError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    // Counted before trimming, so the limit is exactly the spec's `maxLength`.
    if raw.chars().count() > max {
        return Err(DomainError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if value.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(DomainError::invalid(field, refusal));
    }
    Ok(value.to_owned())
}

/// Declares a validated text newtype with `parse`, `as_str` and `Display`.
macro_rules! text_type {
    ($(#[$meta:meta])* $name:ident, field = $field:literal, max = $max:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// Parses a trimmed, non-empty value without control characters.
            pub fn parse(raw: &str) -> Result<Self, $crate::DomainError> {
                $crate::text::bounded($field, raw, $max).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}
pub(crate) use text_type;

/// Declares a closed set of values spelled in snake_case on the wire and in the database.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident, field = $field:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(raw: &str) -> Result<Self, $crate::DomainError> {
                match raw {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::DomainError::invalid(
                        $field,
                        format!("must be one of: {}", [$($text),+].join(", ")),
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use wire_enum;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The spec's pattern accepts exactly what `bounded` accepts (lengths aside).
        #[test]
        fn the_pattern_is_the_rule(raw in "[a \\t\\n\\r\\x0B\\x0C\\x00\\x07\\x1C\\x1F\\x7F\\u{85}\\u{9F}\\u{A0}\\u{2003}\\u{3000}\\u{200B}é]{0,6}") {
            let pattern = regex::Regex::new(PATTERN).unwrap();
            prop_assert_eq!(pattern.is_match(&raw), bounded("name", &raw, 100).is_ok(), "{:?}", raw);
        }
    }

    #[test]
    fn bounded_trims_and_rejects_empty_long_and_control() {
        assert_eq!(bounded("name", "  Acme ", 10), Ok("Acme".to_owned()));
        assert!(bounded("name", "   ", 10).is_err());
        assert!(bounded("name", "abcdefghijk", 10).is_err());
        assert!(bounded("name", "a\u{7}b", 10).is_err());
        assert_eq!(
            bounded("name", "", 10),
            Err(DomainError::invalid("name", "must not be empty"))
        );
    }
}
