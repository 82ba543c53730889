//! Reads `EXPLAIN (FORMAT XML)` output. The XML is read by `quick-xml`'s pull parser (no
//! recursion, so any nesting depth is safe) and written as the JSON EXPLAIN prints for the same
//! plan, which the JSON reader then turns into the model: one parser for every format.
//!
//! EXPLAIN's XML spells each JSON key as an element, spaces and `/` turned into `-`
//! (`<Node-Type>`, `<I-O-Read-Time>`); lists are elements of `<Item>`s, `<Plan>`s,
//! `<Worker>`s... All values are text: those of the keys planlint reads as text stay strings,
//! numbers and booleans elsewhere become JSON numbers and booleans.

use quick_xml::events::Event;
use quick_xml::Reader;

use super::json_text::{is_json_scalar, JsonText};
use super::parse::{parse_plans, Explain, ParseError};

/// Keys with a `-` or `/` of their own, by their XML element name.
const HYPHENATED_KEYS: [(&str, &str); 11] = [
    ("One-Time-Filter", "One-Time Filter"),
    ("Pre-sorted-Groups", "Pre-sorted Groups"),
    ("Full-sort-Groups", "Full-sort Groups"),
    ("I-O-Read-Time", "I/O Read Time"),
    ("I-O-Write-Time", "I/O Write Time"),
    ("Shared-I-O-Read-Time", "Shared I/O Read Time"),
    ("Shared-I-O-Write-Time", "Shared I/O Write Time"),
    ("Local-I-O-Read-Time", "Local I/O Read Time"),
    ("Local-I-O-Write-Time", "Local I/O Write Time"),
    ("Temp-I-O-Read-Time", "Temp I/O Read Time"),
    ("Temp-I-O-Write-Time", "Temp I/O Write Time"),
];

/// Elements whose children form a list.
const LIST_ELEMENTS: [&str; 6] = [
    "explain",
    "Plans",
    "Workers",
    "Triggers",
    "Target-Tables",
    "Grouping-Sets",
];

/// Keys whose values stay text even when they read as numbers (a table named `2024`).
const TEXT_KEYS: [&str; 22] = [
    "Node Type",
    "Parent Relationship",
    "Subplan Name",
    "Strategy",
    "Partial Mode",
    "Operation",
    "Relation Name",
    "Schema",
    "Alias",
    "Index Name",
    "CTE Name",
    "Function Name",
    "Join Type",
    "Filter",
    "Index Cond",
    "Recheck Cond",
    "Hash Cond",
    "Merge Cond",
    "Join Filter",
    "One-Time Filter",
    "Query Text",
    "Item",
];

/// An element being read.
struct Open {
    /// Its JSON key (`None` inside a list).
    key: Option<String>,
    /// Its XML name.
    tag: String,
    /// Set, and written, when its first child element arrives.
    container: Option<Container>,
    text: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Container {
    Object,
    Array,
}

/// Parses every plan in `text`, EXPLAIN's XML output (several documents one after another
/// too).
pub fn parse_xml_plans(text: &str) -> Result<Vec<Explain>, ParseError> {
    // Text is kept as it is: entities split it into several events, and a value's own spaces
    // matter. The whitespace between elements is dropped when the first child arrives.
    let mut reader = Reader::from_str(text);
    let mut json = JsonText::default();
    let mut open: Vec<Open> = Vec::new();
    let mut documents = 0usize;
    let fail = |message: String, position: u64, not_a_plan: bool| {
        let (line, column) = line_column(text, usize::try_from(position).unwrap_or(0));
        ParseError {
            message,
            line,
            column,
            truncated: false,
            not_a_plan,
        }
    };
    loop {
        let event = reader
            .read_event()
            .map_err(|error| fail(error.to_string(), reader.error_position(), false))?;
        let (start, empty) = match event {
            Event::Start(start) => (start, false),
            Event::Empty(start) => (start, true),
            Event::End(_) => {
                end_element(&mut json, &mut open);
                continue;
            }
            Event::Text(content) => {
                let decoded = content
                    .decode()
                    .map_err(|error| fail(error.to_string(), reader.buffer_position(), false))?;
                if let Some(element) = open.last_mut() {
                    element.text.push_str(&decoded);
                }
                continue;
            }
            Event::CData(data) => {
                if let Some(element) = open.last_mut() {
                    element.text.push_str(&String::from_utf8_lossy(&data));
                }
                continue;
            }
            Event::GeneralRef(reference) => {
                let name = reference
                    .decode()
                    .map_err(|error| fail(error.to_string(), reader.buffer_position(), false))?;
                let resolved = match &*name {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    _ => reference.resolve_char_ref().ok().flatten(),
                };
                let Some(c) = resolved else {
                    let message = format!("unknown entity `&{name};`");
                    return Err(fail(message, reader.buffer_position(), false));
                };
                if let Some(element) = open.last_mut() {
                    element.text.push(c);
                }
                continue;
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => continue,
        };
        let tag = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
        if open.is_empty() {
            if tag != "explain" {
                let message = "expected the `<explain>` element EXPLAIN (FORMAT XML) prints";
                return Err(fail(message.into(), reader.buffer_position(), true));
            }
            if documents == 0 {
                json.begin_array();
            }
            documents += 1;
            open.push(Open {
                key: None,
                tag,
                container: Some(Container::Array),
                text: String::new(),
            });
        } else {
            let parent = open.last_mut().expect("an element is open");
            parent.text.clear();
            let container = match parent.container {
                Some(container) => container,
                None => {
                    let container = if LIST_ELEMENTS.contains(&parent.tag.as_str()) || tag == "Item"
                    {
                        Container::Array
                    } else {
                        Container::Object
                    };
                    if let Some(key) = &parent.key {
                        json.key(key);
                    }
                    match container {
                        Container::Object => json.begin_object(),
                        Container::Array => json.begin_array(),
                    }
                    parent.container = Some(container);
                    container
                }
            };
            let key = (container == Container::Object).then(|| json_key(&tag));
            open.push(Open {
                key,
                tag,
                container: None,
                text: String::new(),
            });
        }
        if empty {
            end_element(&mut json, &mut open);
        }
    }
    if let Some(element) = open.last() {
        let message = format!("the XML ends inside `<{}>`", element.tag);
        return Err(ParseError {
            truncated: true,
            ..fail(message, reader.buffer_position(), false)
        });
    }
    if documents > 0 {
        json.end_array();
    }
    parse_plans(&json.finish()).map_err(super::parse::without_position)
}

/// Ends the innermost element: closes its container, or writes its text as a value.
fn end_element(json: &mut JsonText, open: &mut Vec<Open>) {
    let Some(element) = open.pop() else {
        return;
    };
    if open.is_empty() {
        // The end of an `<explain>` document: its plans stay in the one list.
        return;
    }
    match element.container {
        Some(Container::Object) => json.end_object(),
        Some(Container::Array) => json.end_array(),
        None => {
            if let Some(key) = &element.key {
                json.key(key);
            }
            let key = element.key.as_deref().unwrap_or(element.tag.as_str());
            if element.text.trim().is_empty() && LIST_ELEMENTS.contains(&element.tag.as_str()) {
                json.begin_array();
                json.end_array();
            } else if TEXT_KEYS.contains(&key) || !is_json_scalar(&element.text) {
                json.string(&element.text);
            } else {
                json.raw(&element.text);
            }
        }
    }
}

/// The JSON key EXPLAIN prints for an XML element name.
fn json_key(tag: &str) -> String {
    HYPHENATED_KEYS
        .iter()
        .find(|(xml, _)| *xml == tag)
        .map_or_else(|| tag.replace('-', " "), |(_, key)| (*key).to_owned())
}

/// The 1-based line and column (in bytes) of byte `offset` of `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = offset
        - before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |at| at + 1)
        + 1;
    (line, column)
}
