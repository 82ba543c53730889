//! Fuzzes the psql-paste unwrapper and the loading behind it; errors must be one line.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Err(error) = planlint::source::load_str("fuzz", text) {
        assert!(!error.to_string().contains('\n'));
    }
});
