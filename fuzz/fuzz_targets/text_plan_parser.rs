//! Fuzzes the readers of EXPLAIN's text, YAML and XML formats and the analysis behind them:
//! any text either analyses or fails with one line, and a text plan's warnings point inside it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let config = planlint::rules::Config::default();
    if let Ok(read) = planlint::plan::parse_text_plans(text) {
        let lines = text.split('\n').count();
        for warning in &read.warnings {
            assert!(warning.line >= 1 && warning.line <= lines, "{warning:?}");
        }
        for plan in &read.plans {
            planlint::analyze(plan, None, &config);
        }
    }
    for parsed in [
        planlint::plan::parse_yaml_plans(text),
        planlint::plan::parse_xml_plans(text),
    ] {
        if let Ok(plans) = parsed {
            for plan in &plans {
                planlint::analyze(plan, None, &config);
            }
        }
    }
});
