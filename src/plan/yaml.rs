//! Reads `EXPLAIN (FORMAT YAML)` output. YAML is parsed by `yaml-rust2`'s event parser (a
//! state machine, so any nesting depth is safe) and written as the JSON EXPLAIN prints for the
//! same plan, which the JSON reader then turns into the model: one parser for every format.
//!
//! EXPLAIN quotes every string in YAML, so a plain scalar is a number or a boolean.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::json_text::JsonText;
use super::parse::{parse_plans, Explain, ParseError};

/// Keys whose value EXPLAIN prints as a list, which an empty YAML value stands for.
const LIST_KEYS: [&str; 8] = [
    "Plans",
    "Output",
    "Sort Key",
    "Group Key",
    "Presorted Key",
    "Workers",
    "Triggers",
    "Target Tables",
];

/// Parses every plan in `text`, EXPLAIN's YAML output (several one after another too).
pub fn parse_yaml_plans(text: &str) -> Result<Vec<Explain>, ParseError> {
    let mut writer = Writer::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut writer, true).map_err(|error| {
        let marker = error.marker();
        ParseError {
            message: error.info().to_owned(),
            line: marker.line(),
            column: marker.col() + 1,
            truncated: false,
            not_a_plan: false,
        }
    })?;
    if let Some((message, marker)) = writer.problem {
        return Err(ParseError {
            message,
            line: marker.line(),
            column: marker.col() + 1,
            truncated: false,
            not_a_plan: true,
        });
    }
    let json = writer.finish();
    parse_plans(&json).map_err(super::parse::without_position)
}

/// Writes the YAML events as JSON.
#[derive(Default)]
struct Writer {
    json: JsonText,
    /// For each open container: `Some(expecting a key)` in a mapping, `None` in a sequence.
    open: Vec<Option<bool>>,
    /// The top-level sequences (documents) read so far: their plans are joined into one list.
    documents: usize,
    /// The last mapping key written.
    key: String,
    problem: Option<(String, Marker)>,
}

impl Writer {
    fn finish(mut self) -> String {
        if self.documents > 0 {
            self.json.end_array();
        }
        self.json.finish()
    }

    /// Whether the next scalar is a mapping key; flips the mapping's expectation.
    fn next_is_key(&mut self) -> bool {
        match self.open.last_mut() {
            Some(Some(expect_key)) => std::mem::replace(expect_key, !*expect_key),
            _ => false,
        }
    }
}

impl MarkedEventReceiver for Writer {
    fn on_event(&mut self, event: Event, mark: Marker) {
        if self.problem.is_some() {
            return;
        }
        let top_level = self.open.is_empty();
        match event {
            Event::Scalar(value, style, ..) => {
                if top_level {
                    self.problem = Some(("expected `- Plan:`, not a lone value".into(), mark));
                } else if self.next_is_key() {
                    self.json.key(&value);
                    self.key = value;
                } else if style == TScalarStyle::Plain && value.is_empty() {
                    // An empty group: `Plans: ` with nothing under it is `"Plans": []`.
                    if LIST_KEYS.contains(&self.key.as_str()) {
                        self.json.begin_array();
                        self.json.end_array();
                    } else {
                        self.json.raw("null");
                    }
                } else if style == TScalarStyle::Plain {
                    self.json.scalar(&value);
                } else {
                    self.json.string(&value);
                }
            }
            Event::SequenceStart(..) => {
                self.next_is_key();
                // The plans of several documents form one list.
                if top_level {
                    if self.documents == 0 {
                        self.json.begin_array();
                    }
                    self.documents += 1;
                } else {
                    self.json.begin_array();
                }
                self.open.push(None);
            }
            Event::SequenceEnd => {
                self.open.pop();
                if !self.open.is_empty() {
                    self.json.end_array();
                }
            }
            Event::MappingStart(..) => {
                if top_level {
                    self.problem = Some(("expected `- Plan:`, not a mapping".into(), mark));
                    return;
                }
                self.next_is_key();
                self.json.begin_object();
                self.open.push(Some(true));
            }
            Event::MappingEnd => {
                self.open.pop();
                self.json.end_object();
            }
            Event::Alias(_) => {
                self.problem = Some(("EXPLAIN's YAML has no aliases (`*name`)".into(), mark));
            }
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => {}
        }
    }
}
