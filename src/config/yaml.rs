//! A YAML document as a tree of [`Node`]s that remember their line and column,
//! or a [`SyntaxError`] when the text is no YAML.
//!
//! serde-saphyr does the YAML parsing (anchors, tags, budgets against
//! "billion laughs"); its `Spanned` wrapper gives every node its position.
//! This is the one config module that names serde-saphyr. The field walker
//! (`fields`) walks this tree so every problem is reported at once, not only
//! the first one a derived `Deserialize` would stop at.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// One YAML value with its 1-based position in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub line: u64,
    pub column: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Pairs in document order (duplicates are rejected by the parser).
    Map(Vec<(Node, Node)>),
}

impl Value {
    /// "a string", "a list", … for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "nothing (null)",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "a number",
            Value::Float(_) => "a decimal number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// A document that is not YAML: serde-saphyr's error, kept whole (boxed, as
/// it is large and every config result carries it). Its message already
/// quotes the offending lines and renders every cause serde-saphyr knows (for
/// an alias, where it was defined and used), so this error names no further
/// source: printing the chain would say those causes twice.
#[derive(Debug)]
pub struct SyntaxError(Box<serde_saphyr::Error>);

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SyntaxError {}

/// Parses a whole document; an empty document is an empty mapping.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    if text.trim().is_empty() {
        return Ok(Node {
            value: Value::Map(Vec::new()),
            line: 1,
            column: 1,
        });
    }
    serde_saphyr::from_str::<Node>(text).map_err(|e| SyntaxError(Box::new(e)))
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(deserializer)?;
        Ok(Node {
            value: spanned.value,
            line: spanned.referenced.line(),
            column: spanned.referenced.column(),
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Int)
            .map_err(|_| E::custom(format!("number {v} is too large")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(node) = seq.next_element::<Node>()? {
            items.push(node);
        }
        Ok(Value::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut pairs = Vec::new();
        while let Some((k, v)) = map.next_entry::<Node, Node>()? {
            pairs.push((k, v));
        }
        Ok(Value::Map(pairs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_carry_positions_for_keys_and_values() {
        let root = parse("a: 1\nlist:\n  - x: \"s\"\n    y: true\n").expect("parses");
        let Value::Map(pairs) = &root.value else {
            panic!("map")
        };
        assert_eq!((pairs[0].0.line, pairs[0].0.column), (1, 1));
        assert_eq!(pairs[0].1.value, Value::Int(1));
        let Value::Seq(items) = &pairs[1].1.value else {
            panic!("seq")
        };
        let Value::Map(inner) = &items[0].value else {
            panic!("map")
        };
        assert_eq!(inner[0].1.value, Value::Str("s".into()));
        assert_eq!((inner[1].0.line, inner[1].0.column), (4, 5));
        assert_eq!(inner[1].1.value, Value::Bool(true));
    }

    #[test]
    fn a_syntax_error_says_where_and_ends_the_chain() {
        let err = parse("a: [1, 2\nb: c\n").expect_err("unclosed");
        assert!(err.to_string().contains("line 2"), "{err}");
        let laughs: String = (0..7)
            .map(|i| {
                let item = if i == 0 {
                    "x".to_string()
                } else {
                    format!("*a{}", i - 1)
                };
                format!("a{i}: &a{i} [{}]\n", vec![item; 9].join(","))
            })
            .collect();
        let err = parse(&laughs).expect_err("over the node budget");
        assert!(err.to_string().contains("budget"), "{err}");
        assert!(
            std::error::Error::source(&err).is_none(),
            "the message holds the causes"
        );
    }
}
