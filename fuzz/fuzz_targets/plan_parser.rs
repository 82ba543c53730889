//! Fuzzes the plan parser and the analysis behind it: any text either analyses or fails with
//! one line.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(plans) = planlint::plan::parse_plans(text) {
        let config = planlint::rules::Config::default();
        for plan in &plans {
            planlint::analyze(plan, None, &config);
        }
    }
});
