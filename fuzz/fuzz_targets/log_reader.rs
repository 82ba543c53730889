//! Fuzzes the server log reader in every destination: any bytes give plans or one error
//! line, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use planlint::source::log::{detect_log, read_log, LogDestination};

fuzz_target!(|bytes: &[u8]| {
    let text = String::from_utf8_lossy(bytes);
    // The destination detection must not panic either, whatever it finds.
    let _ = detect_log(&text);
    for destination in [
        LogDestination::Stderr,
        LogDestination::Csvlog,
        LogDestination::Jsonlog,
    ] {
        if let Err(error) = read_log("fuzz", bytes, destination) {
            assert!(!error.to_string().contains('\n'));
        }
    }
});
