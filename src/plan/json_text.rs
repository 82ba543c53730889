//! JSON text written event by event, for the readers of EXPLAIN's YAML and XML formats: they
//! turn their documents into the JSON EXPLAIN would have printed and hand it to the JSON
//! reader, so that all formats meet in one parser and one model.

/// JSON text being written; commas are placed as values and keys are added.
#[derive(Debug, Default)]
pub(super) struct JsonText {
    out: String,
    /// For each open container: whether it has a member yet.
    open: Vec<bool>,
    /// Whether a key was just written (the next value needs no comma).
    after_key: bool,
}

impl JsonText {
    /// Starts an object as the next value.
    pub fn begin_object(&mut self) {
        self.separate();
        self.out.push('{');
        self.open.push(false);
    }

    /// Starts an array as the next value.
    pub fn begin_array(&mut self) {
        self.separate();
        self.out.push('[');
        self.open.push(false);
    }

    /// Ends the innermost object.
    pub fn end_object(&mut self) {
        self.open.pop();
        self.out.push('}');
    }

    /// Ends the innermost array.
    pub fn end_array(&mut self) {
        self.open.pop();
        self.out.push(']');
    }

    /// Writes an object key.
    pub fn key(&mut self, key: &str) {
        self.separate();
        self.string_literal(key);
        self.out.push(':');
        self.after_key = true;
    }

    /// Writes a string value.
    pub fn string(&mut self, value: &str) {
        self.separate();
        self.string_literal(value);
    }

    /// Writes a value that is already JSON text (a number, `true`, `null`).
    pub fn raw(&mut self, value: &str) {
        self.separate();
        self.out.push_str(value);
    }

    /// Writes `value` as a number or boolean when it reads as one, else as a string.
    pub fn scalar(&mut self, value: &str) {
        if is_json_scalar(value) {
            self.raw(value);
        } else {
            self.string(value);
        }
    }

    /// The text written.
    pub fn finish(self) -> String {
        self.out
    }

    /// A comma before the next member, unless it follows a key or opens its container.
    fn separate(&mut self) {
        if std::mem::take(&mut self.after_key) {
            return;
        }
        if let Some(has_member) = self.open.last_mut() {
            if std::mem::replace(has_member, true) {
                self.out.push(',');
            }
        }
    }

    fn string_literal(&mut self, text: &str) {
        self.out
            .push_str(&serde_json::to_string(text).expect("a string serializes"));
    }
}

/// Whether `value` is, as it is, a JSON number, `true`, `false` or `null`.
pub(super) fn is_json_scalar(value: &str) -> bool {
    matches!(value, "true" | "false" | "null")
        || (value.starts_with(|c: char| c == '-' || c.is_ascii_digit())
            && serde_json::from_str::<serde_json::Number>(value).is_ok())
}
