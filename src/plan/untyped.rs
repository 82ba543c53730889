//! The fields of a plan node that planlint does not type, kept as the JSON the server printed.
//!
//! They are held as the text of one JSON object per node rather than as a map of values: one
//! allocation for all of a node's untyped fields, which keeps a 100,000-node plan small and
//! fast to read, while any field can still be looked up by name.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// A node's untyped fields, in the order the server printed them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct UntypedFields {
    /// A JSON object (`{"Async Capable":false,...}`), or empty when there are no fields.
    object: String,
}

impl UntypedFields {
    /// Whether the node has no untyped field.
    pub fn is_empty(&self) -> bool {
        self.object.is_empty()
    }

    /// The fields as one JSON object's text (`{}` when there are none).
    pub fn as_json(&self) -> &str {
        if self.object.is_empty() {
            "{}"
        } else {
            &self.object
        }
    }

    /// The field named `name` (EXPLAIN's spelling), as the server printed its value.
    pub fn get(&self, name: &str) -> Option<&RawValue> {
        self.iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    }

    /// Every field with its value, in the order the server printed them.
    pub fn iter(&self) -> impl Iterator<Item = (String, &RawValue)> {
        let members = if self.object.is_empty() {
            Vec::new()
        } else {
            // The text was assembled from keys and raw values the parser had checked.
            serde_json::from_str::<Members<'_>>(&self.object)
                .map(|members| members.0)
                .unwrap_or_default()
        };
        members.into_iter()
    }

    /// Appends a field: `key` as read (unescaped), `value` as the raw JSON text of its value.
    pub(crate) fn push(&mut self, key: &str, value: &str) {
        // Room for the key, its quotes, the colon, the value and the braces at once: most nodes
        // have a single untyped field, so growing step by step would cost three allocations.
        self.object.reserve(key.len() + value.len() + 5);
        if self.object.is_empty() {
            self.object.push('{');
        } else {
            self.object.pop();
            self.object.push(',');
        }
        if key.bytes().all(|b| b >= b' ' && b != b'"' && b != b'\\') {
            self.object.push('"');
            self.object.push_str(key);
            self.object.push('"');
        } else {
            self.object
                .push_str(&serde_json::to_string(key).expect("a string serializes"));
        }
        self.object.push(':');
        self.object.push_str(value);
        self.object.push('}');
    }
}

impl fmt::Debug for UntypedFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_json())
    }
}

/// The members of a JSON object, borrowed from its text.
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> de::Deserialize<'de> for Members<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MembersVisitor(std::marker::PhantomData))
    }
}

struct MembersVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for MembersVisitor<'a> {
    type Value = Members<'a>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'a>, A::Error> {
        let mut members = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, &'de RawValue>()? {
            members.push((key, value));
        }
        Ok(Members(members))
    }
}

#[cfg(test)]
mod tests {
    use super::UntypedFields;

    #[test]
    fn fields_are_kept_in_order_with_their_raw_values_and_odd_keys_escaped() {
        let mut fields = UntypedFields::default();
        assert!(fields.is_empty());
        assert_eq!(fields.as_json(), "{}");
        fields.push("Async Capable", "false");
        fields.push("Sort Key", r#"["a", "b"]"#);
        fields.push("a \"quoted\"\nkey", "1.50");
        assert_eq!(fields.get("Async Capable").unwrap().get(), "false");
        assert_eq!(fields.get("Sort Key").unwrap().get(), r#"["a", "b"]"#);
        assert_eq!(fields.get("a \"quoted\"\nkey").unwrap().get(), "1.50");
        assert!(fields.get("Missing").is_none());
        let keys: Vec<String> = fields.iter().map(|(key, _)| key).collect();
        assert_eq!(keys, ["Async Capable", "Sort Key", "a \"quoted\"\nkey"]);
        let parsed: serde_json::Value = serde_json::from_str(fields.as_json()).unwrap();
        assert_eq!(parsed["Sort Key"][1], "b");
    }
}
