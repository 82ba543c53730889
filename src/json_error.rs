//! Shapes serde_json's error messages for planlint's one-line errors.

/// serde_json ends its messages with " at line L column C"; planlint puts the position first,
/// as `file:line:column: message`, so the suffix is cut.
pub(crate) fn message_without_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(at) if message[at..].contains(" column ") => &message[..at],
        _ => message,
    }
}
