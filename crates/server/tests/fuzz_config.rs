//! The config loader against mangled configs: the example config
//! (`examples/config-example.yaml`), its websites in an `!include`d file, then lines deleted,
//! duplicated, re-indented, keys and values replaced by random scalars, huge numbers, deep
//! nesting, tags, anchors and raw bytes (bad UTF-8 included). Whatever the input, loading
//! never panics, and every problem it reports names a file we wrote and a line (> 0) of
//! it; problems in the included file carry the key path where it was included (only the
//! main file's root has an empty path).
//!
//! A few hundred cases run with the workspace tests (a few seconds); more with
//! `PROPTEST_CASES=20000 cargo test -p argos-server --test fuzz_config`.

use std::path::Path;

use argos_server::config::{self, ConfigError, LoadOptions};
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, FileFailurePersistence};

/// Where the example's `websites:` list starts.
const WEBSITES: &str = "\nwebsites:\n";

/// The example split into a main file that includes `sites.yaml`, and that file.
fn example() -> (String, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/config-example.yaml");
    let text = std::fs::read_to_string(path).expect("the example config");
    let at = text.find(WEBSITES).expect("a websites section");
    let main = format!("{}\nwebsites: !include sites.yaml\n", &text[..at]);
    (main, text[at + WEBSITES.len()..].to_owned())
}

/// One change to one line of one of the two files.
#[derive(Debug, Clone)]
enum Mutation {
    Delete,
    Duplicate,
    /// The text after the line's first `:` (or the whole line) becomes this.
    Value(String),
    /// The text before the line's first `:` becomes this.
    Key(String),
    /// Spaces added (positive) or taken off the start of the line.
    Indent(i8),
    /// A new line before this one.
    Insert(String),
    /// The value becomes a flow sequence or map nested this deep.
    Nest(bool, usize),
    /// Raw bytes (any, so not always UTF-8) at this offset in the line.
    Bytes(usize, Vec<u8>),
}

/// Scalars chosen to hurt: huge and odd numbers, YAML keywords, tags, anchors, durations
/// and sizes at and past their limits.
fn scalar() -> impl Strategy<Value = String> {
    let nasty = prop::sample::select(vec![
        "99999999999999999999999999999",
        "-99999999999999999999999999999",
        "18446744073709551616",
        "9223372036854775807",
        "-9223372036854775808",
        "1e309",
        "-1e309",
        ".inf",
        "-.inf",
        ".nan",
        "0x7fffffffffffffff",
        "0o777",
        "-0",
        "0",
        "-1",
        "1.5",
        "~",
        "null",
        "true",
        "no",
        "",
        "''",
        "\"\"",
        "[]",
        "{}",
        "[",
        "{",
        "]",
        "&a x",
        "*a",
        "*undefined",
        "!include",
        "!include missing.yaml",
        "!include sites.yaml",
        "!include /",
        "!include ../../../../../../etc/passwd",
        "!include **/*",
        "!!binary aGVsbG8=",
        "!!map {a: 1}",
        "!unknown x",
        "\"\\uD800\"",
        "\"\\x00\"",
        "|",
        ">-",
        "? complex",
        "- item",
        "0s",
        "-5m",
        "1000000000000d",
        "18446744073709551615s",
        "5",
        "1.5h",
        "99999999999999999999ms",
        "1EiB",
        "-1MiB",
        "http://",
        "https://[::1",
        "tcp://host:99999",
        "%",
        "@",
        "`",
        "\t",
        "é😀\u{202e}",
    ])
    .prop_map(str::to_owned);
    let random = prop::collection::vec(any::<char>(), 0..24).prop_map(String::from_iter);
    let long = (1usize..200_000).prop_map(|n| "x".repeat(n));
    prop_oneof![6 => nasty, 3 => random, 1 => long]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        2 => Just(Mutation::Delete),
        2 => Just(Mutation::Duplicate),
        4 => scalar().prop_map(Mutation::Value),
        2 => scalar().prop_map(Mutation::Key),
        1 => (-6i8..=6).prop_map(Mutation::Indent),
        1 => scalar().prop_map(Mutation::Insert),
        1 => (any::<bool>(), 1usize..20_000).prop_map(|(seq, d)| Mutation::Nest(seq, d)),
        2 => (0usize..80, prop::collection::vec(any::<u8>(), 1..6))
            .prop_map(|(at, b)| Mutation::Bytes(at, b)),
    ]
}

/// `(in the included file, line index (wrapped), change)`.
fn mutations() -> impl Strategy<Value = Vec<(bool, usize, Mutation)>> {
    prop::collection::vec((any::<bool>(), any::<usize>(), mutation()), 1..6)
}

fn apply(lines: &mut Vec<Vec<u8>>, index: usize, m: &Mutation) {
    if lines.is_empty() {
        lines.push(Vec::new());
    }
    let i = index % lines.len();
    let line = lines[i].clone();
    let colon = line.iter().position(|b| *b == b':');
    match m {
        Mutation::Delete => {
            lines.remove(i);
        }
        Mutation::Duplicate => lines.insert(i, line),
        Mutation::Value(v) => {
            let keep = colon.map_or(0, |c| c + 1);
            lines[i] = [&line[..keep], b" ", v.as_bytes()].concat();
        }
        Mutation::Key(k) => {
            let rest = colon.map_or(&line[..], |c| &line[c..]);
            let indent = line.iter().take_while(|b| **b == b' ').count();
            lines[i] = [&line[..indent], k.as_bytes(), rest].concat();
        }
        Mutation::Indent(shift) => {
            let n = usize::from(shift.unsigned_abs());
            lines[i] = if *shift > 0 {
                [vec![b' '; n], line].concat()
            } else {
                let spaces = line.iter().take_while(|b| **b == b' ').count();
                line[spaces.min(n)..].to_vec()
            };
        }
        Mutation::Insert(text) => lines.insert(i, text.as_bytes().to_vec()),
        Mutation::Nest(seq, depth) => {
            let (open, close) = if *seq { ("[", "]") } else { ("{a: ", "}") };
            let keep = colon.map_or(0, |c| c + 1);
            let value = format!(" {}1{}", open.repeat(*depth), close.repeat(*depth));
            lines[i] = [&line[..keep], value.as_bytes()].concat();
        }
        Mutation::Bytes(at, bytes) => {
            let at = (*at).min(line.len());
            lines[i] = [&line[..at], &bytes[..], &line[at..]].concat();
        }
    }
}

fn mutate(text: &str, changes: &[(bool, usize, Mutation)], included: bool) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = text.lines().map(|l| l.as_bytes().to_vec()).collect();
    for (in_included, index, m) in changes {
        if *in_included == included {
            apply(&mut lines, *index, m);
        }
    }
    lines.join(&b'\n')
}

/// Loads the two files; fails the case on a panic or a problem without its place.
fn load_never_panics(main: &[u8], sites: &[u8], strict: bool) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("argos-config.yaml");
    std::fs::write(&path, main).unwrap();
    std::fs::write(dir.path().join("sites.yaml"), sites).unwrap();
    let loaded = std::panic::catch_unwind(|| config::load(&path, &LoadOptions { strict }));
    let problems = match loaded {
        Err(_) => return Err(TestCaseError::fail("config::load panicked")),
        Ok(Ok(cfg)) => cfg.warnings,
        Ok(Err(ConfigError::Invalid(problems))) => problems,
        Ok(Err(e @ ConfigError::Io { .. })) => {
            return Err(TestCaseError::fail(format!("the main file is there: {e}")));
        }
    };
    for p in &problems {
        prop_assert!(p.line > 0, "no line: {p}");
        let lines = match std::fs::read(&p.file) {
            Ok(bytes) => yaml_lines(&bytes),
            Err(_) => return Err(TestCaseError::fail(format!("no such file: {p}"))),
        };
        prop_assert!(p.line <= lines, "line {} of {lines}: {p}", p.line);
        // The included file is the value of a key (`websites`, or another one a mutation
        // put the tag on): its problems say which, unless it became the whole document.
        if p.file.ends_with("sites.yaml") && !included_at_the_root(main) {
            prop_assert!(!p.path.is_empty(), "no key path: {p}");
        }
    }
    Ok(())
}

/// Whether the main file's root itself is `!include`d (a line that starts with the tag).
fn included_at_the_root(main: &[u8]) -> bool {
    String::from_utf8_lossy(main)
        .lines()
        .any(|l| l.trim_start().starts_with("!include") || l.starts_with("--- !include"))
}

/// Lines as YAML counts them: CR LF, a lone CR and LF each end one.
fn yaml_lines(bytes: &[u8]) -> usize {
    let text = String::from_utf8_lossy(bytes).replace("\r\n", "\n");
    1 + text.matches(['\r', '\n']).count()
}

fn runner() -> RunnerConfig {
    RunnerConfig {
        // A failing case is printed, minimised; the tree gets no regression files.
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..RunnerConfig::default()
    }
}

proptest! {
    #![proptest_config(runner())]

    #[test]
    fn mangled_configs_never_panic_and_every_problem_has_its_place(
        changes in mutations(),
        strict in any::<bool>(),
    ) {
        let (main, sites) = example();
        let main = mutate(&main, &changes, false);
        let sites = mutate(&sites, &changes, true);
        load_never_panics(&main, &sites, strict)?;
    }
}

#[test]
fn the_unmangled_example_loads() {
    let (main, sites) = example();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("argos-config.yaml");
    std::fs::write(&path, main).unwrap();
    std::fs::write(dir.path().join("sites.yaml"), sites).unwrap();
    let cfg = config::load(&path, &LoadOptions { strict: true });
    assert!(cfg.is_ok(), "{}", cfg.unwrap_err());
}

#[test]
fn bad_utf8_in_an_included_file_is_reported_there() {
    let (main, sites) = example();
    let mut bytes = sites.into_bytes();
    let second_line = bytes.iter().position(|b| *b == b'\n').unwrap() + 1;
    bytes.splice(second_line..second_line, [0xff, 0xfe, b'\n']);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("argos-config.yaml");
    std::fs::write(&path, main).unwrap();
    std::fs::write(dir.path().join("sites.yaml"), &bytes).unwrap();
    let Err(ConfigError::Invalid(problems)) = config::load(&path, &LoadOptions::default()) else {
        panic!("bad UTF-8 was accepted");
    };
    assert!(
        problems.iter().any(|p| p.file.ends_with("sites.yaml")
            && p.line == 2
            && p.path == "websites"
            && p.message.contains("UTF-8")),
        "{problems:#?}"
    );
}

#[test]
fn a_syntax_error_in_an_included_file_names_the_key_and_a_line_of_the_file() {
    let (main, _) = example();
    // Two lines, no final line break: the parser places the error on a third line.
    let sites = "  - domain: \"https://a.example\"\n    paths: [";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("argos-config.yaml");
    std::fs::write(&path, main).unwrap();
    std::fs::write(dir.path().join("sites.yaml"), sites).unwrap();
    let Err(ConfigError::Invalid(problems)) = config::load(&path, &LoadOptions::default()) else {
        panic!("a syntax error was accepted");
    };
    assert!(
        problems.iter().any(|p| p.file.ends_with("sites.yaml")
            && p.line == 2
            && p.path == "websites"
            && p.message.starts_with("YAML syntax error")),
        "{problems:#?}"
    );
}
