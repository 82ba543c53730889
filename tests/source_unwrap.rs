//! Reading inputs, unwrapping pasted psql output, and the errors for bad input.
//!
//! The samples are real psql 15 output, captured byte for byte (trailing spaces included) from
//! `psql -X` against a PostgreSQL 15 server by `scripts/capture-fixtures.sh`, which writes them
//! to `tests/fixtures/paste/` (its README.md gives the psql options of each file) along with the
//! raw JSON plans in `tests/fixtures/plans/`. Only deliberately broken or synthetic inputs (bad
//! JSON, binary data, deep nesting, ...) are written here.

use std::borrow::Cow;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use planlint::plan::Explain;
use planlint::source::{
    load, load_str, read_input, read_plans, unwrap, InputError, InputErrorKind, Layout, PlanFormat,
    DEFAULT_MAX_INPUT_BYTES,
};

/// The node types of each plan, in pre-order.
fn node_types(plans: &[Explain]) -> Vec<Vec<String>> {
    plans
        .iter()
        .map(|explain| {
            let graph = &explain.graph;
            graph
                .ids()
                .map(|id| graph.node(id).node_type.to_string())
                .collect()
        })
        .collect()
}

/// Loads `text`, panicking with the error's line if it fails.
fn plans(name: &str, text: &str) -> Vec<Vec<String>> {
    match load_str(name, text) {
        Ok(plans) => node_types(&plans),
        Err(error) => panic!("{name} did not load: {error}"),
    }
}

/// Loads `text`, which must fail; checks the error is one line and returns it.
fn failure(name: &str, text: &str) -> InputError {
    let error = load_str(name, text).expect_err(name);
    assert_one_line(&error);
    error
}

/// An error displays as one line that starts with the input's name.
fn assert_one_line(error: &InputError) {
    let shown = error.to_string();
    assert!(!shown.contains(['\n', '\r']), "multi-line error: {shown:?}");
    if !error.name().contains(char::is_control) {
        assert!(shown.starts_with(error.name()), "{shown}");
    }
    assert!(shown.len() < 600, "error too long: {shown}");
}

/// The 1-based line and column of the first `needle` in `text`, columns in characters.
fn position_of(text: &str, needle: &str) -> (usize, usize) {
    let at = text.find(needle).expect("needle in text");
    let line = text[..at].matches('\n').count() + 1;
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    (line, text[line_start..at].chars().count() + 1)
}

/// A temporary directory for files a test writes.
fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary directory")
}

/// Writes `bytes` to `name` in `dir`, returning the path as a string.
fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    fs::write(&path, bytes).expect("write test file");
    path.to_str().expect("UTF-8 temp path").to_owned()
}

// ---------------------------------------------------------------------------------------------
// The samples: psql output captured from a real PostgreSQL 15 by scripts/capture-fixtures.sh
// into tests/fixtures/ (tests/fixtures/paste/README.md says how psql printed each file).
// ---------------------------------------------------------------------------------------------

/// A fixture file's path.
fn fixture(relative: &str) -> String {
    format!("{}/tests/fixtures/{relative}", env!("CARGO_MANIFEST_DIR"))
}

/// A fixture file's text, byte for byte.
fn fixture_text(relative: &str) -> String {
    fs::read_to_string(fixture(relative)).unwrap_or_else(|error| panic!("{relative}: {error}"))
}

/// A one-node plan (a Seq Scan of the 200-row `countries` with a Filter) as raw JSON, the way
/// `psql -At` prints it.
fn raw() -> String {
    fixture_text("plans/countries_by_name_tiny_seq_scan.json")
}

/// That plan as psql prints it in one layout: `tests/fixtures/paste/countries_by_name.VARIANT`.
fn small(variant: &str) -> String {
    fixture_text(&format!("paste/countries_by_name.{variant}"))
}

/// A Nested Loop (Seq Scan, Index Scan) whose Filter, `(name = 'a"b\c'::text)`, holds a double
/// quote and a backslash, as raw JSON.
fn join_raw() -> String {
    fixture_text("plans/products_join_customers_quoted_filter.json")
}

/// That plan as psql prints it in one layout: `tests/fixtures/paste/products_join_customers.VARIANT`.
fn join(variant: &str) -> String {
    fixture_text(&format!("paste/products_join_customers.{variant}"))
}

/// Every psql layout of the one-node plan that holds its JSON, one result each: a label, the
/// variant (see `small`) and the layout `unwrap` must find.
const LAYOUTS: [(&str, &str, Layout); 15] = [
    ("aligned", "aligned.txt", Layout::Aligned),
    ("border 0", "aligned_border0.txt", Layout::Aligned),
    ("border 2", "aligned_border2.txt", Layout::Aligned),
    ("unicode", "aligned_unicode.txt", Layout::Aligned),
    (
        "unicode border 2",
        "aligned_unicode_border2.txt",
        Layout::Aligned,
    ),
    ("-t", "aligned_tuples_only.txt", Layout::Aligned),
    ("-A", "unaligned.txt", Layout::Unaligned),
    ("-x", "expanded.txt", Layout::Expanded),
    ("-x border 0", "expanded_border0.txt", Layout::Expanded),
    ("-x border 2", "expanded_border2.txt", Layout::Expanded),
    (
        "-x unicode border 2",
        "expanded_unicode_border2.txt",
        Layout::Expanded,
    ),
    ("-x -A", "expanded_unaligned.txt", Layout::Expanded),
    ("-x -t", "expanded_tuples_only.txt", Layout::Expanded),
    ("--csv", "csv", Layout::Csv),
    ("-x --csv", "expanded.csv", Layout::Csv),
];

/// The one-node plan in the layout labelled `label` in `LAYOUTS`.
fn layout(label: &str) -> String {
    let (_, variant, _) = LAYOUTS
        .iter()
        .find(|(name, _, _)| *name == label)
        .unwrap_or_else(|| panic!("no layout {label:?}"));
    small(variant)
}

// ---------------------------------------------------------------------------------------------
// Unwrapping: every paste layout gives the plan the raw JSON gives.
// ---------------------------------------------------------------------------------------------

#[test]
fn raw_json_is_borrowed_not_copied() {
    let raw = raw();
    let unwrapped = unwrap(&raw).unwrap();
    assert!(matches!(unwrapped.text, Cow::Borrowed(_)));
    assert_eq!(unwrapped.layout, Layout::Json);
    assert_eq!(unwrapped.text, raw);
    assert_eq!(unwrapped.original_position(3, 5), (3, 5));
    // The plan's object alone, compact, with blank lines before it.
    let value: serde_json::Value = serde_json::from_str(&raw).unwrap();
    let compact = format!("\n\n  {}", serde_json::to_string(&value[0]).unwrap());
    assert!(compact.starts_with("\n\n  {\"Plan\":{") && !compact.trim().contains('\n'));
    assert!(matches!(unwrap(&compact).unwrap().text, Cow::Borrowed(_)));
    assert_eq!(
        plans("compact", &compact),
        vec![vec!["Seq Scan".to_owned()]]
    );
}

#[test]
fn every_psql_layout_unwraps_to_the_same_plan() {
    let raw = raw();
    let expected = plans("raw", &raw);
    assert_eq!(expected, vec![vec!["Seq Scan".to_owned()]]);
    let raw: serde_json::Value = serde_json::from_str(&raw).unwrap();
    for (name, variant, layout) in LAYOUTS {
        let text = small(variant);
        let unwrapped = unwrap(&text).unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(unwrapped.layout, layout, "{name}");
        let json: serde_json::Value = serde_json::from_str(&unwrapped.text)
            .unwrap_or_else(|error| panic!("{name}: {error}\n{}", unwrapped.text));
        assert_eq!(json, raw, "{name}");
        assert_eq!(plans(name, &text), expected, "{name}");
    }
}

#[test]
fn at_output_with_several_plans_loads_them_all() {
    let twice = plans("-At", &small("twice.tuples_only.txt"));
    assert_eq!(twice.len(), 2);
    let one = plans("raw", &raw());
    assert_eq!(twice, [one.clone(), one].concat());
}

#[test]
fn a_real_join_plan_loads_the_same_from_every_layout() {
    let expected = plans("raw", &join_raw());
    assert_eq!(
        expected,
        vec![vec![
            "Nested Loop".to_owned(),
            "Seq Scan".to_owned(),
            "Index Scan".to_owned()
        ]]
    );
    for (name, variant) in [
        ("aligned", "aligned.txt"),
        ("csv", "csv"),
        ("expanded", "expanded.txt"),
    ] {
        let text = join(variant);
        assert_eq!(plans(name, &text), expected, "{name}");
        // The filter holds `"` and `\`, which CSV doubles and aligned output keeps.
        let loaded = load_str(name, &text).unwrap();
        let scan = &loaded[0].graph.node(loaded[0].graph.ids().nth(1).unwrap());
        assert_eq!(
            scan.filter.as_deref(),
            Some(r#"(name = 'a"b\c'::text)"#),
            "{name}"
        );
    }
    let twice = plans("two results", &join("aligned_twice.txt"));
    assert_eq!(twice, [expected.clone(), expected].concat());
}

#[test]
fn prompts_commands_and_timings_around_results_are_skipped() {
    let (aligned, x) = (layout("aligned"), layout("-x"));
    let session = format!(
        "postgres=# \\timing on\nTiming is on.\npostgres=# EXPLAIN (FORMAT JSON)\npostgres-# SELECT 1;\n\
         {aligned}Time: 0.512 ms\npostgres=# \\x\nExpanded display is on.\n\
         postgres=# EXPLAIN (FORMAT JSON) SELECT 1;\n{x}Time: 0.3 ms\npostgres=# "
    );
    let unwrapped = unwrap(&session).unwrap();
    assert_eq!(unwrapped.layout, Layout::Aligned);
    assert_eq!(plans("session", &session).len(), 2);
}

#[test]
fn markdown_code_blocks_around_a_paste_are_skipped() {
    let expected = plans("raw", &raw());
    for (name, text) in [
        ("raw", raw()),
        ("aligned", layout("aligned")),
        ("border 0", layout("border 0")),
        ("-x", layout("-x")),
    ] {
        let fenced = format!("Here is my plan:\n\n```json\n{text}```\n\nWhy is it slow?\n");
        assert_eq!(plans(name, &fenced), expected, "{name}");
    }
}

#[test]
fn windows_line_endings_and_a_byte_order_mark_are_fine() {
    let (raw, aligned) = (raw(), layout("aligned"));
    let expected = plans("raw", &raw);
    let crlf = aligned.replace('\n', "\r\n");
    assert_eq!(plans("crlf", &crlf), expected);
    let bom = format!("\u{FEFF}{aligned}");
    assert_eq!(plans("bom", &bom), expected);
    let bom_raw = format!("\u{FEFF}{raw}");
    assert!(matches!(unwrap(&bom_raw).unwrap().text, Cow::Borrowed(_)));
    assert_eq!(plans("bom raw", &bom_raw), expected);
}

#[test]
fn a_plan_quoted_as_a_json_string_is_decoded() {
    let join_raw = join_raw();
    let quoted = serde_json::to_string(&join_raw).unwrap();
    assert!(quoted.contains(r#"\"Plan\""#) && quoted.contains(r#"\\\"b"#));
    let unwrapped = unwrap(&quoted).unwrap();
    assert_eq!(unwrapped.layout, Layout::JsonString);
    assert_eq!(unwrapped.text.trim_end(), join_raw.trim_end());
    assert_eq!(plans("quoted", &quoted), plans("raw", &join_raw));
    // Escaped non-ASCII, and a surrogate pair, in the node type of a quoted plan.
    let unicode = serde_json::to_string(&raw()).unwrap().replacen(
        r#"\"Seq Scan\""#,
        r#"\"S\u00e9q Scan \ud83d\ude00\""#,
        1,
    );
    assert!(unicode.contains(r"\ud83d\ude00"), "{unicode}");
    assert_eq!(
        plans("unicode", &unicode),
        vec![vec!["Séq Scan 😀".to_owned()]]
    );
}

#[test]
fn a_csv_cell_without_header_is_decoded() {
    // What pgAdmin and DBeaver put on the clipboard for one cell.
    let csv = layout("--csv");
    let cell = csv.strip_prefix("QUERY PLAN\n").unwrap();
    let unwrapped = unwrap(cell).unwrap();
    assert_eq!(unwrapped.layout, Layout::Csv);
    assert_eq!(plans("cell", cell), plans("raw", &raw()));
    // Several cells one after another.
    let cells = format!("{cell}{cell}");
    assert_eq!(plans("cells", &cells).len(), 2);
}

#[test]
fn an_empty_result_is_empty() {
    let text = "QUERY PLAN\n------------\n(0 rows)\n";
    let error = failure("none.txt", text);
    assert_eq!(error.kind(), InputErrorKind::Empty);
}

// ---------------------------------------------------------------------------------------------
// Positions: errors point at the line and column in the text as given.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_syntax_error_in_an_aligned_paste_is_reported_where_the_user_sees_it() {
    let aligned = join("aligned.txt");
    assert!(aligned.contains("\"Plan Rows\": 1,"));
    let broken = aligned.replace("\"Plan Rows\": 1,", "\"Plan Rows\": 1 x");
    let error = failure("paste.txt", &broken);
    assert_eq!(error.kind(), InputErrorKind::Syntax);
    let expected = position_of(&broken, " x");
    let expected = (expected.0, expected.1 + 1);
    assert_eq!(error.position(), Some(expected));
    assert_eq!(
        error.to_string(),
        format!(
            "paste.txt:{}:{}: invalid JSON: expected `,` or `}}`",
            expected.0, expected.1
        )
    );
}

/// The plan width entry of the one-node plan, as its raw JSON shows it: `"Plan Width": N`.
fn plan_width() -> String {
    let raw = raw();
    let line = raw
        .lines()
        .find(|line| line.contains("\"Plan Width\": "))
        .expect("a Plan Width line");
    line.trim().trim_end_matches(',').to_owned()
}

#[test]
fn positions_map_back_through_every_layout() {
    // The same mistake in each layout: `"Plan Width": N` becomes `"Plan Width": N q`.
    let width = plan_width();
    let csv_width = width.replace('"', "\"\"");
    for (name, text) in [
        ("raw", raw()),
        ("aligned", layout("aligned")),
        ("border 2", layout("border 2")),
        ("unicode border 2", layout("unicode border 2")),
        ("-A", layout("-A")),
        ("-x", layout("-x")),
        ("-x unicode border 2", layout("-x unicode border 2")),
        ("-x -A", layout("-x -A")),
        ("--csv", layout("--csv")),
        ("-x --csv", layout("-x --csv")),
    ] {
        let needle = if text.contains(&csv_width) {
            &csv_width
        } else {
            &width
        };
        assert!(text.contains(needle.as_str()), "{name}: no {needle}");
        let broken = text.replacen(needle.as_str(), &format!("{needle} q"), 1);
        let error = failure(name, &broken);
        assert_eq!(error.kind(), InputErrorKind::Syntax, "{name}: {error}");
        let (line, column) = position_of(&broken, &format!("{needle} q"));
        let column = column + needle.chars().count() + 1;
        assert_eq!(error.position(), Some((line, column)), "{name}: {error}");
    }
}

#[test]
fn positions_in_a_json_string_point_into_the_literal() {
    let width = plan_width().replace('"', "\\\"");
    let quoted = serde_json::to_string(&raw())
        .unwrap()
        .replace(&width, &format!("{width} q"));
    assert!(quoted.contains(" q"), "{quoted}");
    let error = failure("quoted", &quoted);
    assert_eq!(error.kind(), InputErrorKind::Syntax);
    let (line, column) = position_of(&quoted, " q");
    assert_eq!(error.position(), Some((line, column + 1)), "{error}");
}

#[test]
fn columns_count_characters_not_bytes() {
    let text = "[{\"Plan\": {\"Node Type\": \"Résumé\", x}}]";
    let error = failure("accents", text);
    assert_eq!(error.position(), Some(position_of(text, "x")), "{error}");
    let aligned =
        "   QUERY PLAN\n--------------\n [{\"Plan\": {\"Node Type\": \"Résumé\", x}}]\n(1 row)\n";
    let error = failure("aligned accents", aligned);
    assert_eq!(error.position(), Some(position_of(aligned, "x")), "{error}");
}

#[test]
fn truncated_json_says_so_and_where() {
    let join_raw = join_raw();
    let cut = &join_raw[..join_raw.find("\"Index Cond\"").unwrap()];
    let error = failure("orders.json", cut);
    assert_eq!(error.kind(), InputErrorKind::Truncated);
    let (line, _) = error.position().expect("a position");
    assert!(line >= cut.lines().count() - 1, "{error}");
    assert!(
        error
            .to_string()
            .starts_with(&format!("orders.json:{line}:")),
        "{error}"
    );
    assert!(
        error
            .message()
            .starts_with("truncated JSON: EOF while parsing"),
        "{error}"
    );
    // A paste cut before psql's last line.
    let aligned = join("aligned.txt");
    let cut_paste = &aligned[..aligned.find("\"Index Cond\"").unwrap()];
    let error = failure("paste", cut_paste);
    assert_eq!(error.kind(), InputErrorKind::Truncated);
    let (line, _) = error.position().expect("a position");
    assert!(line <= cut_paste.lines().count(), "{error}");
}

// ---------------------------------------------------------------------------------------------
// Not a JSON plan.
// ---------------------------------------------------------------------------------------------

#[test]
fn text_yaml_and_xml_plans_load_in_their_own_format() {
    // EXPLAIN ANALYZE in text format: `(actual rows=...)`, `(never executed)`.
    for (name, format) in [
        ("text_format_analyze.txt", PlanFormat::Text),
        ("text_format_costs_off.txt", PlanFormat::Text),
        ("yaml_format.txt", PlanFormat::Yaml),
        ("xml_format.txt", PlanFormat::Xml),
    ] {
        let text = if name.starts_with("text_format_analyze") {
            join(name)
        } else {
            small(name)
        };
        let loaded = read_plans(name, &text).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(loaded.format, format, "{name}");
        assert_eq!(loaded.plans.len(), 1, "{name}");
        assert!(loaded.warnings.is_empty(), "{name}");
    }
    let loaded = read_plans("join", &join("text_format_analyze.txt")).unwrap();
    let graph = &loaded.plans[0].graph;
    assert_eq!(graph.label(graph.root().unwrap()), "Nested Loop");
    assert!(graph.ids().any(|id| graph.node(id).never_executed()));
}

#[test]
fn text_with_no_plan_in_any_format_says_what_was_expected() {
    let error = failure("notes.txt", "hello, world\n");
    assert_eq!(error.kind(), InputErrorKind::NotAPlan);
    assert_eq!(
        error.to_string(),
        "notes.txt:1:1: no plan found: expected EXPLAIN output, in text (a line such as \
         `Seq Scan on orders  (cost=...)`), JSON, YAML or XML format"
    );
    let error = failure("broken.json", "[{\"Plan\": {\"Node Type\": \"Result\";}}]");
    assert_eq!(error.kind(), InputErrorKind::Syntax);
    assert_eq!(
        error.to_string(),
        "broken.json:1:33: invalid JSON: expected `,` or `}`"
    );
}

#[test]
fn json_that_is_not_a_plan_says_so() {
    let error = failure("data.json", "{\"rows\": [1, 2, 3]}");
    assert_eq!(error.kind(), InputErrorKind::NotAPlan);
    assert!(
        error
            .message()
            .starts_with("not a plan: object has no \"Plan\""),
        "{error}"
    );
    assert!(error.to_string().starts_with("data.json:1:"), "{error}");
    let error = failure("empty array", "[]");
    assert_eq!(error.kind(), InputErrorKind::NotAPlan);
    let error = failure("string", "\"just a string\"");
    assert_eq!(error.kind(), InputErrorKind::NotAPlan, "{error}");
}

#[test]
fn long_or_multiline_values_do_not_leak_into_the_message() {
    let long = format!(
        "[{{\"Plan\": {{\"Node Type\": \"{}\\n{}\", \"Plans\": 5}}}}]",
        "x".repeat(5000),
        "y"
    );
    let error = failure("long", &long);
    assert!(error.to_string().len() < 600);
    let error = failure("line\nbreak.json", "nope");
    assert!(
        error.to_string().starts_with("line\\nbreak.json:"),
        "{error}"
    );
}

#[test]
fn empty_and_blank_text_is_empty() {
    for text in ["", "   \n\t\r\n  ", "\u{FEFF}", "\u{FEFF}\n\n"] {
        let error = failure("blank", text);
        assert_eq!(error.kind(), InputErrorKind::Empty, "{text:?}");
        assert_eq!(
            error.to_string(),
            "blank: empty input: expected what EXPLAIN prints (text, JSON, YAML or XML)"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Deep nesting: no stack overflow, in parsing or in dropping.
// ---------------------------------------------------------------------------------------------

const DEPTH: usize = 100_000;

/// Runs `f` on a thread with a 2 MiB stack, as small as a worker thread's.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("the thread did not overflow its stack");
}

#[test]
fn arrays_nested_100000_deep_are_refused_without_overflow() {
    on_small_stack(|| {
        let text = format!("{}{}", "[".repeat(DEPTH), "]".repeat(DEPTH));
        let error = failure("deep.json", &text);
        assert_eq!(error.kind(), InputErrorKind::NotAPlan, "{error}");
        let open = "[".repeat(DEPTH);
        let error = failure("deep-open.json", &open);
        assert!(
            matches!(
                error.kind(),
                InputErrorKind::NotAPlan | InputErrorKind::Truncated
            ),
            "{error}"
        );
        // Deep JSON under a field planlint keeps verbatim.
        let text = format!(
            "[{{\"Plan\": {{\"Node Type\": \"Result\", \"Extra\": {}1{}}}}}]",
            "[".repeat(DEPTH),
            "]".repeat(DEPTH)
        );
        assert_eq!(plans("deep field", &text), vec![vec!["Result".to_owned()]]);
    });
}

#[test]
fn a_plan_nested_100000_deep_parses_and_drops_on_a_small_stack() {
    on_small_stack(|| {
        let mut text = String::with_capacity(DEPTH * 48);
        text.push_str("{\"Plan\":");
        for _ in 0..DEPTH {
            text.push_str("{\"Node Type\":\"X\",\"Plans\":[");
        }
        text.push_str("{\"Node Type\":\"Leaf\"}");
        for _ in 0..DEPTH {
            text.push_str("]}");
        }
        text.push('}');
        let plans = load_str("deep-plan.json", &text).expect("a deep plan parses");
        assert_eq!(plans.len(), 1);
        assert_eq!(plans[0].graph.len(), DEPTH + 1);
        drop(plans);
        // The same, pasted from psql's aligned output.
        let aligned = format!("QUERY PLAN\n----------\n {text}\n(1 row)\n");
        assert_eq!(
            load_str("deep.txt", &aligned).expect("parses")[0]
                .graph
                .len(),
            DEPTH + 1
        );
    });
}

// ---------------------------------------------------------------------------------------------
// Reading files.
// ---------------------------------------------------------------------------------------------

#[test]
fn load_reads_a_file_and_names_it() {
    let dir = temp_dir();
    let aligned = layout("aligned");
    let path = write(dir.path(), "plan.txt", aligned.as_bytes());
    let loaded = load(&path, DEFAULT_MAX_INPUT_BYTES).unwrap();
    assert_eq!(loaded.name, path);
    assert_eq!(node_types(&loaded.plans), plans("raw", &raw()));
    let input = read_input(&path, DEFAULT_MAX_INPUT_BYTES).unwrap();
    assert_eq!(input.name, path);
    assert_eq!(input.text.as_str(), aligned);
    let broken = write(dir.path(), "broken.json", b"[{\"Plan\": }]");
    let error = load(&broken, DEFAULT_MAX_INPUT_BYTES).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("{broken}:1:11: invalid JSON: expected value")
    );
}

#[test]
fn a_missing_file_says_no_such_file() {
    let error = read_input("/nonexistent/orders.json", DEFAULT_MAX_INPUT_BYTES).unwrap_err();
    assert_eq!(error.kind(), InputErrorKind::Io);
    assert_eq!(
        error.to_string(),
        "/nonexistent/orders.json: cannot read: no such file"
    );
    assert_eq!(load("/nonexistent/orders.json", 10).unwrap_err(), error);
}

#[test]
fn a_directory_is_refused() {
    let dir = temp_dir();
    let path = dir.path().to_str().unwrap();
    let error = read_input(path, DEFAULT_MAX_INPUT_BYTES).unwrap_err();
    assert_eq!(error.kind(), InputErrorKind::Io);
    assert_eq!(
        error.to_string(),
        format!("{path}: cannot read: is a directory")
    );
}

#[test]
fn an_empty_or_blank_file_is_refused() {
    let dir = temp_dir();
    for (name, bytes) in [
        ("empty", &b""[..]),
        ("blank", b" \n\n\t \r\n"),
        ("bom", b"\xEF\xBB\xBF\n"),
    ] {
        let path = write(dir.path(), name, bytes);
        let error = read_input(&path, DEFAULT_MAX_INPUT_BYTES).unwrap_err();
        assert_eq!(error.kind(), InputErrorKind::Empty, "{name}");
        assert_eq!(
            error.to_string(),
            format!("{path}: empty input: expected what EXPLAIN prints (text, JSON, YAML or XML)")
        );
    }
}

#[test]
fn binary_data_is_refused_with_its_offset() {
    let dir = temp_dir();
    let png = write(
        dir.path(),
        "plan.png",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    );
    let error = read_input(&png, DEFAULT_MAX_INPUT_BYTES).unwrap_err();
    assert_eq!(error.kind(), InputErrorKind::Binary);
    assert!(
        error.message().contains("NUL byte at byte offset 8"),
        "{error}"
    );
    assert_one_line(&error);

    let nul = write(dir.path(), "nul.json", b"[{\"Plan\": {}}]\x00");
    let error = read_input(&nul, DEFAULT_MAX_INPUT_BYTES).unwrap_err();
    assert_eq!(error.kind(), InputErrorKind::Binary);
    assert!(
        error.message().contains("NUL byte at byte offset 14"),
        "{error}"
    );

    let latin1 = write(
        dir.path(),
        "latin1.json",
        b"[{\"Plan\": {\"Node Type\": \"R\xE9sult\"}}]",
    );
    let error = read_input(&latin1, DEFAULT_MAX_INPUT_BYTES).unwrap_err();
    assert_eq!(error.kind(), InputErrorKind::Binary);
    assert!(
        error.message().contains("invalid UTF-8 at byte offset 26"),
        "{error}"
    );
    assert_one_line(&error);
}

#[test]
fn a_nul_in_text_given_directly_is_an_error_not_a_panic() {
    let error = failure("nul", "[{\"Plan\": {\"Node Type\": \"a\u{0}b\"}}]");
    assert_eq!(error.kind(), InputErrorKind::Syntax, "{error}");
    assert_eq!(
        error.to_string(),
        "nul:1:27: invalid JSON: control character (\\u0000-\\u001F) found while parsing a string"
    );
}

#[test]
fn broken_json_inside_a_typed_field_is_a_syntax_error_not_a_wrong_plan() {
    for (text, kind) in [
        (
            r#"[{"Plan": {"Node Type": "Seq Sc"#,
            InputErrorKind::Truncated,
        ),
        (
            r#"[{"Plan": {"Node Type": "Seq Scan", "Filter": "a\qb"}}]"#,
            InputErrorKind::Syntax,
        ),
        (
            r#"[{"Plan": {"Node Type": "Seq Scan", "Sort Key": ["a", }}]"#,
            InputErrorKind::Syntax,
        ),
        (r#"[{"Plan": {"Node Type": 5}}]"#, InputErrorKind::NotAPlan),
    ] {
        let error = failure("field", text);
        assert_eq!(error.kind(), kind, "{error}");
    }
    let error = failure("cut.json", r#"[{"Plan": {"Node Type": "Seq Sc"#);
    assert_eq!(
        error.to_string(),
        "cut.json:1:31: truncated JSON: EOF while parsing a string"
    );
}

#[test]
fn a_one_gigabyte_file_is_refused_from_its_size_at_once() {
    let dir = temp_dir();
    let path = dir.path().join("huge.json");
    let file = fs::File::create(&path).unwrap();
    file.set_len(1 << 30).unwrap();
    drop(file);
    let path = path.to_str().unwrap();
    let started = Instant::now();
    let error = load(path, DEFAULT_MAX_INPUT_BYTES).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(error.kind(), InputErrorKind::TooLarge);
    assert_eq!(
        error.to_string(),
        format!(
            "{path}: input is 1.0 GiB, over the 512 MiB limit (raise it with --max-input-size)"
        )
    );
}

#[test]
fn the_size_limit_is_inclusive() {
    let dir = temp_dir();
    let raw = raw();
    let path = write(dir.path(), "plan.json", raw.as_bytes());
    let size = raw.len() as u64;
    assert!(read_input(&path, size).is_ok());
    let error = read_input(&path, size - 1).unwrap_err();
    assert_eq!(error.kind(), InputErrorKind::TooLarge);
    assert!(
        error.message().contains(&format!("input is {size} bytes")),
        "{error}"
    );
}

#[test]
fn a_byte_order_mark_is_dropped_and_utf16_is_converted() {
    let dir = temp_dir();
    let raw = raw();
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(raw.as_bytes());
    let path = write(dir.path(), "bom.json", &bom);
    assert_eq!(
        read_input(&path, DEFAULT_MAX_INPUT_BYTES)
            .unwrap()
            .text
            .as_str(),
        raw
    );

    // What `psql ... > plan.json` writes in Windows PowerShell 5.
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(layout("aligned").encode_utf16().flat_map(u16::to_le_bytes));
    let path = write(dir.path(), "utf16.txt", &utf16);
    let loaded = load(&path, DEFAULT_MAX_INPUT_BYTES).unwrap();
    assert_eq!(node_types(&loaded.plans), plans("raw", &raw));
}

#[test]
fn a_large_file_is_mapped_and_checked_like_a_small_one() {
    // Over 1 MiB: read through a memory map instead of a copy.
    let fixture = "tests/fixtures/plans/events_unpruned_4000.json";
    let text = fs::read_to_string(fixture).unwrap();
    assert!(text.len() > 1 << 20);
    let dir = temp_dir();
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(text.as_bytes());
    let path = write(dir.path(), "large.json", &bom);
    let input = read_input(&path, DEFAULT_MAX_INPUT_BYTES).unwrap();
    assert_eq!(input.text.as_str(), text, "the BOM is dropped");
    assert_eq!(input.text.clone(), input.text);
    let loaded = load(&path, DEFAULT_MAX_INPUT_BYTES).unwrap();
    assert_eq!(
        node_types(&loaded.plans),
        node_types(&load_str("x", &text).unwrap())
    );

    let at = text.len() - 100;
    let mut nul = text.clone().into_bytes();
    nul[at] = 0;
    let path = write(dir.path(), "nul.json", &nul);
    let error = read_input(&path, DEFAULT_MAX_INPUT_BYTES).unwrap_err();
    assert_eq!(error.kind(), InputErrorKind::Binary);
    assert!(
        error
            .to_string()
            .contains(&format!("NUL byte at byte offset {at}")),
        "{error}"
    );
    let mut invalid = text.clone().into_bytes();
    invalid[at] = 0xFF;
    let path = write(dir.path(), "invalid.json", &invalid);
    let error = read_input(&path, DEFAULT_MAX_INPUT_BYTES).unwrap_err();
    assert!(
        error
            .to_string()
            .contains(&format!("invalid UTF-8 at byte offset {at}")),
        "{error}"
    );
    let mut utf16 = vec![0xFE, 0xFF];
    utf16.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    let path = write(dir.path(), "utf16.json", &utf16);
    assert_eq!(
        read_input(&path, DEFAULT_MAX_INPUT_BYTES)
            .unwrap()
            .text
            .as_str(),
        text
    );
    let error = read_input(&path, 1 << 20).unwrap_err();
    assert_eq!(error.kind(), InputErrorKind::TooLarge);
    let blank = write(dir.path(), "blank.json", &vec![b' '; 2 << 20]);
    let error = read_input(&blank, DEFAULT_MAX_INPUT_BYTES).unwrap_err();
    assert_eq!(error.kind(), InputErrorKind::Empty);
}

#[test]
fn a_large_aligned_paste_unwraps_quickly() {
    // A flat plan of 20,000 children (about 5 MB once aligned), built like psql prints it.
    let mut json = String::from(
        "[\n  {\n    \"Plan\": {\n      \"Node Type\": \"Append\",\n      \"Plans\": [\n",
    );
    for index in 0..20_000 {
        if index > 0 {
            json.push_str(",\n");
        }
        json.push_str("        {\n          \"Node Type\": \"Seq Scan\",\n          \"Relation Name\": \"part\",\n          \"Total Cost\": 1.5\n        }");
    }
    json.push_str("\n      ]\n    }\n  }\n]");
    let width = json.lines().map(str::len).max().unwrap_or(0);
    let mut aligned = format!("{:^width$}\n{}\n", "QUERY PLAN", "-".repeat(width + 2));
    let lines: Vec<&str> = json.lines().collect();
    for (index, line) in lines.iter().enumerate() {
        if index + 1 < lines.len() {
            aligned.push_str(&format!(" {line:<width$}+\n"));
        } else {
            aligned.push_str(&format!(" {line}\n"));
        }
    }
    aligned.push_str("(1 row)\n\n");
    let started = Instant::now();
    let plans = load_str("big", &aligned).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(plans[0].graph.len(), 20_001);
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(aligned.as_bytes()).unwrap();
    let loaded = load(file.path().to_str().unwrap(), DEFAULT_MAX_INPUT_BYTES).unwrap();
    assert_eq!(loaded.plans[0].graph.len(), 20_001);
}

// ---------------------------------------------------------------------------------------------
// Fixtures captured from psql into tests/fixtures/ (see tests/fixtures/paste/README.md).
// ---------------------------------------------------------------------------------------------

#[test]
fn every_captured_paste_unwraps_to_the_raw_json() {
    let raw = fixture_text("plans/orders_by_customer_all_partitions.json");
    let raw_json: serde_json::Value = serde_json::from_str(&raw).unwrap();
    let expected = plans("raw", &raw);
    assert!(expected[0].len() > 5, "{expected:?}");
    for (file, layout) in [
        ("paste/orders_by_customer.aligned.txt", Layout::Aligned),
        ("paste/orders_by_customer.unaligned.txt", Layout::Unaligned),
        ("paste/orders_by_customer.tuples_only.txt", Layout::Json),
        ("paste/orders_by_customer.expanded.txt", Layout::Expanded),
        ("paste/orders_by_customer.csv", Layout::Csv),
    ] {
        let text = fixture_text(file);
        let unwrapped = unwrap(&text).unwrap_or_else(|error| panic!("{file}: {error}"));
        assert_eq!(unwrapped.layout, layout, "{file}");
        let json: serde_json::Value = serde_json::from_str(&unwrapped.text).unwrap();
        assert_eq!(json, raw_json, "{file}");
        let loaded = load(&fixture(file), DEFAULT_MAX_INPUT_BYTES).unwrap();
        assert_eq!(node_types(&loaded.plans), expected, "{file}");
    }
}

#[test]
fn two_captured_plans_load_in_order() {
    let first = plans(
        "first",
        &fixture_text("plans/orders_by_customer_all_partitions.json"),
    );
    let second = plans(
        "second",
        &fixture_text("plans/orders_by_id_between_two_partitions.json"),
    );
    let loaded = load(
        &fixture("paste/two_plans.tuples_only.txt"),
        DEFAULT_MAX_INPUT_BYTES,
    )
    .unwrap();
    assert_eq!(node_types(&loaded.plans), [first, second].concat());
}

#[test]
fn the_captured_text_format_plan_loads_as_its_json() {
    let path = fixture("paste/orders_by_customer.text_format.txt");
    let loaded = load(&path, DEFAULT_MAX_INPUT_BYTES).unwrap();
    assert_eq!(loaded.format, PlanFormat::Text);
    let json = plans(
        "json",
        &fixture_text("plans/orders_by_customer_all_partitions.json"),
    );
    assert_eq!(node_types(&loaded.plans), json);
}

#[test]
fn every_captured_plan_and_paste_loads() {
    for dir in ["plans", "paste"] {
        let entries = fs::read_dir(fixture(dir)).unwrap();
        for path in entries.map(|entry| entry.unwrap().path()) {
            let name = path.to_str().unwrap();
            let extension = path
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or_default();
            if !matches!(extension, "json" | "txt" | "csv" | "yaml" | "xml") {
                continue;
            }
            let loaded = load(name, DEFAULT_MAX_INPUT_BYTES).unwrap_or_else(|e| panic!("{e}"));
            assert!(!loaded.plans.is_empty(), "{name}");
            assert!(loaded.warnings.is_empty(), "{name}: {:?}", loaded.warnings);
        }
    }
}

#[test]
fn a_syntax_error_in_a_captured_aligned_paste_is_placed_right() {
    let text = fixture_text("paste/orders_by_customer.aligned.txt");
    let target = "\"Node Type\": \"Gather\",";
    let broken = text.replacen(target, "\"Node Type\": \"Gather\";", 1);
    let error = failure("orders.txt", &broken);
    let (line, column) = position_of(&broken, "\"Gather\";");
    let expected = (line, column + "\"Gather\"".len());
    assert_eq!(error.position(), Some(expected), "{error}");
    assert_eq!(
        error.to_string(),
        format!(
            "orders.txt:{}:{}: invalid JSON: expected `,` or `}}`",
            expected.0, expected.1
        )
    );
}

// ---------------------------------------------------------------------------------------------
// No input makes anything panic.
// ---------------------------------------------------------------------------------------------

/// A small deterministic pseudo-random sequence (xorshift), so failures reproduce.
struct Random(u64);

impl Random {
    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound.max(1) as u64) as usize
    }
}

/// Loads `text` and checks that an error is one line and points inside the text.
fn load_anything(text: &str) {
    if let Err(error) = load_str("fuzz", text) {
        assert_one_line(&error);
        if let Some((line, column)) = error.position() {
            let lines = text.split('\n').count();
            assert!(
                line >= 1 && line <= lines,
                "{error} ({lines} lines) in {text:?}"
            );
            assert!(column >= 1, "{error}");
        }
    }
}

#[test]
fn no_cut_or_edit_of_a_paste_panics() {
    // The raw plan, each of its psql layouts, several results, the other EXPLAIN formats, a CSV
    // cell with doubled quotes and backslashes, and a plan quoted as a JSON string.
    let mut samples = vec![raw()];
    samples.extend(LAYOUTS.iter().map(|(_, variant, _)| small(variant)));
    samples.extend(
        [
            "twice.tuples_only.txt",
            "text_format_costs_off.txt",
            "yaml_format.txt",
            "xml_format.txt",
        ]
        .map(small),
    );
    samples.extend(["text_format_analyze.txt", "csv"].map(join));
    samples.push(serde_json::to_string(&join_raw()).unwrap());
    assert_eq!(samples.len(), 23);
    let mut random = Random(0x9E37_79B9_7F4A_7C15);
    let inserts = [
        "\"",
        "\"\"",
        "\\",
        "\\u",
        "\\ud83d",
        "\n",
        "+",
        "|",
        "│",
        "[",
        "{",
        "}",
        ",",
        " ",
        "\r",
        "é",
        "QUERY PLAN",
        "(1 row)",
        "---",
    ];
    for sample in samples.iter().map(String::as_str) {
        for (at, _) in sample.char_indices() {
            load_anything(&sample[..at]);
            load_anything(&sample[at..]);
        }
        for _ in 0..300 {
            let mut text = sample.to_owned();
            for _ in 0..1 + random.below(3) {
                let boundaries: Vec<usize> = text.char_indices().map(|(at, _)| at).collect();
                let Some(&at) = boundaries.get(random.below(boundaries.len())) else {
                    break;
                };
                match random.below(3) {
                    0 => text.insert_str(at, inserts[random.below(inserts.len())]),
                    1 => {
                        let end = boundaries
                            .iter()
                            .copied()
                            .find(|&end| end > at)
                            .unwrap_or(text.len());
                        text.replace_range(at..end, "");
                    }
                    _ => text.truncate(at),
                }
            }
            load_anything(&text);
        }
    }
}
