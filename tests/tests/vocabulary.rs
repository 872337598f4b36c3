//! The vocabulary of the language lives in `pxy_compiler::catalog`, one table per kind of word;
//! the checker, the language server and this test read those tables. This test fails when a
//! place that names words on its own disagrees with them, in either direction:
//!
//! - the pest grammar (`grammar/pxy.pest`): its `keyword` rule and its `*_kw` rules are the
//!   keyword table;
//! - the TextMate grammar (`grammar/pxy.tmLanguage.json`): every word it highlights is in a
//!   table, and every keyword, setting, option and function is highlighted;
//! - the reference (`docs/language.md`): its tables of fields, functions, settings and
//!   policies list exactly the catalog's, with the same types, and every word of every table
//!   is written in code somewhere in it;
//! - the fuzz dictionary (`fuzz/pxy.dict`): it holds every word, and only words that exist.

use std::collections::BTreeSet;

use pxy_compiler::catalog::{self, settings, words, Word};
use regex::Regex;

fn read(path: &str) -> String {
    std::fs::read_to_string(pxy_tests::workspace_root().join(path)).expect("read")
}

fn names<T: Copy>(table: &'static [Word<T>]) -> Vec<&'static str> {
    table.iter().map(|w| w.word).collect()
}

fn keywords() -> BTreeSet<&'static str> {
    names(catalog::KEYWORDS).into_iter().collect()
}

/// The settings and options written `NAME VALUE`, and the words their values take.
fn settings_words() -> BTreeSet<&'static str> {
    let mut all = BTreeSet::new();
    all.extend(names(settings::SERVER_SETTINGS));
    all.extend(names(settings::UPSTREAM_SETTINGS));
    all.extend(names(settings::HTTP_HEALTH_OPTIONS));
    all.extend(names(settings::PASSIVE_OPTIONS));
    all.extend(names(settings::DNS_OPTIONS));
    all.extend(names(settings::LIMIT_OPTIONS));
    all.extend(names(settings::CACHE_SETTINGS));
    all.extend(names(settings::CACHE_RULE_SETTINGS));
    all.extend(names(settings::JWT_OPTIONS));
    all.extend(names(settings::BASIC_AUTH_OPTIONS));
    all.extend(names(settings::FORWARD_AUTH_OPTIONS));
    all.extend(names(settings::COMPRESS_SETTINGS));
    all
}

/// Every word of every table: keywords, fixed words, settings, objects, fields, functions.
fn every_word() -> BTreeSet<&'static str> {
    let mut all = keywords();
    all.extend(settings_words());
    all.extend(names(settings::SWITCH));
    all.extend(names(settings::WHEN_ALL_DOWN));
    all.extend(names(settings::UPSTREAM_PROTOCOLS));
    all.extend(names(settings::ACCESS_LOG_FORMATS));
    all.extend(names(settings::KEY_HEADERS));
    all.extend(names(words::LISTEN_PROTOCOLS));
    all.extend(names(words::POLICIES));
    all.extend(names(words::PHASES));
    all.extend(names(words::DISCOVERY_KINDS));
    all.extend(names(words::HEALTH_KINDS));
    all.extend(names(words::CLIENT_CA_MODES));
    all.extend(names(words::ALPN_PROTOCOLS));
    all.extend(names(words::LIMIT_WORDS));
    all.extend(names(words::PURGE_SCOPES));
    all.extend(names(words::DATA_WORDS));
    all.extend(names(words::LIST_ELEMENTS));
    all.extend(names(words::DECLARATION_WORDS));
    all.extend(names(words::TEST_WORDS));
    all.extend(names(words::TEST_FAILURES));
    all.extend(names(words::TEST_TOKEN_ALGORITHMS));
    all.extend(catalog::fields::OBJECTS.iter().map(|o| o.word));
    all.extend(catalog::FIELDS.iter().map(|f| f.name));
    all.extend(catalog::FUNCTIONS.iter().map(|f| f.name));
    // Names the grammar gives a meaning outside the tables: the place `on log` writes, and
    // the TLS listener's lines (`cert`, `key`, `alpn`, `client_ca`).
    all.extend(["log", "cert", "key", "alpn", "client_ca"]);
    all
}

fn missing<'a>(want: impl IntoIterator<Item = &'a str>, have: &BTreeSet<String>) -> Vec<&'a str> {
    want.into_iter().filter(|w| !have.contains(*w)).collect()
}

#[test]
fn the_pest_grammar_reserves_exactly_the_keyword_table() {
    let pest = read("grammar/pxy.pest");
    let start = pest.find("\nkeyword ").expect("a keyword rule");
    let rule = &pest[start..start + pest[start..].find('}').expect("rule end")];
    let word = Regex::new(r#""([a-z_]+)""#).unwrap();
    let reserved: BTreeSet<&str> = word
        .captures_iter(rule)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    assert_eq!(
        reserved,
        keywords(),
        "the `keyword` rule and catalog::KEYWORDS differ"
    );
    let kw_rule = Regex::new(r#"(?m)^([a-z_]+)_kw\s*=\s*@\{\s*"([a-z_]+)""#).unwrap();
    for c in kw_rule.captures_iter(&pest) {
        assert_eq!(&c[1], &c[2], "rule {}_kw matches another word", &c[1]);
        assert!(
            keywords().contains(&c[2]),
            "`{}` has a rule but is not in KEYWORDS",
            &c[2]
        );
    }
}

#[test]
fn the_textmate_grammar_highlights_the_tables_words() {
    let json: serde_json::Value =
        serde_json::from_str(&read("grammar/pxy.tmLanguage.json")).unwrap();
    let mut regexes = Vec::new();
    fn collect(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    match (k.as_str(), v) {
                        ("match" | "begin", serde_json::Value::String(s)) => out.push(s.clone()),
                        _ => collect(v, out),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| collect(i, out)),
            _ => {}
        }
    }
    collect(&json, &mut regexes);
    // Alternations of plain lower-case words: `\b(listen|upstream)`, `\b(?:true|false)\b`.
    let alternation =
        Regex::new(r"\\b\((?:\?:)?([a-z_][a-z0-9_]*(?:\|[a-z_][a-z0-9_]*)*)\)").unwrap();
    let highlighted: BTreeSet<String> = regexes
        .iter()
        .flat_map(|r| {
            alternation
                .captures_iter(r)
                .map(|c| c[1].to_string())
                .collect::<Vec<_>>()
        })
        .flat_map(|alt| alt.split('|').map(str::to_string).collect::<Vec<_>>())
        .collect();
    let every = every_word();
    let unknown: Vec<&String> = highlighted
        .iter()
        .filter(|w| !every.contains(w.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "the TextMate grammar highlights words no table has: {unknown:?}"
    );
    let functions = catalog::FUNCTIONS.iter().map(|f| f.name);
    let objects = catalog::fields::OBJECTS.iter().map(|o| o.word);
    let want: Vec<&str> = keywords()
        .into_iter()
        .chain(settings_words())
        .chain(functions)
        .chain(objects)
        .collect();
    let absent = missing(want, &highlighted);
    assert!(
        absent.is_empty(),
        "the TextMate grammar does not highlight {absent:?}"
    );
}

/// The first column of the markdown table whose header row starts `| {first} |`.
fn table_column(markdown: &str, first: &str) -> Vec<Vec<String>> {
    let header = format!("| {first} |");
    let start = markdown
        .find(&header)
        .unwrap_or_else(|| panic!("a table `{header}`"));
    markdown[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|cell| cell.trim().to_string())
                .collect()
        })
        .collect()
}

/// The words inside `code spans` and ```pxy blocks.
fn code_words(markdown: &str) -> BTreeSet<String> {
    let code = Regex::new(r"(?s)```pxy\n(.*?)```|`([^`\n]+)`").unwrap();
    let word = Regex::new(r"[A-Za-z_][A-Za-z0-9_]*").unwrap();
    code.captures_iter(markdown)
        .flat_map(|c| {
            let text = c.get(1).or(c.get(2)).unwrap().as_str().to_string();
            word.find_iter(&text)
                .map(|m| m.as_str().to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn first_code(cell: &str) -> &str {
    cell.trim_start_matches('`')
        .split(['`', ' ', '(', '['])
        .next()
        .unwrap_or_default()
}

#[test]
fn the_reference_documents_every_word_and_no_other() {
    let docs = read("docs/language.md");
    // Fields, with their types.
    let mut documented = BTreeSet::new();
    for row in table_column(&docs, "field") {
        let path = first_code(&row[0]).to_string();
        let (object, name) = path
            .split_once('.')
            .unwrap_or_else(|| panic!("a field: {path}"));
        let info = catalog::field(object, name)
            .unwrap_or_else(|| panic!("docs list `{path}`, the catalog has no such field"));
        assert_eq!(
            row[1].trim_matches('`'),
            (info.ty)().to_string(),
            "type of `{path}`"
        );
        documented.insert(path);
    }
    for f in catalog::FIELDS {
        assert!(
            documented.contains(&f.path()),
            "`{}` is not in the reference's field table",
            f.path()
        );
    }
    // Functions, with their parameters and result types.
    let mut documented = BTreeSet::new();
    for row in table_column(&docs, "function") {
        let call = row[0].trim_matches('`');
        let name = first_code(call);
        let info = catalog::function(name)
            .unwrap_or_else(|| panic!("docs list `{name}`, the catalog has no such function"));
        let params: Vec<&str> = info.params.iter().map(|(p, _)| *p).collect();
        assert_eq!(
            call,
            format!("{name}({})", params.join(", ")),
            "parameters of `{name}`"
        );
        let returns = row[1]
            .trim_matches('`')
            .rsplit("→ ")
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        assert_eq!(returns, (info.returns)().to_string(), "result of `{name}`");
        documented.insert(name.to_string());
    }
    let absent = missing(catalog::FUNCTIONS.iter().map(|f| f.name), &documented);
    assert!(
        absent.is_empty(),
        "functions missing from the reference: {absent:?}"
    );
    // Upstream settings and balancing policies: the tables list exactly the catalog's.
    for (header, table) in [
        ("setting", names(settings::UPSTREAM_SETTINGS)),
        ("server setting", names(settings::SERVER_SETTINGS)),
        ("policy", names(words::POLICIES)),
    ] {
        let listed: BTreeSet<String> = table_column(&docs, header)
            .iter()
            .map(|r| first_code(&r[0]).to_string())
            .collect();
        let want: BTreeSet<String> = table.iter().map(|w| w.to_string()).collect();
        assert_eq!(
            listed, want,
            "the reference's `{header}` table and the catalog differ"
        );
    }
    // Every word of every table is written in code somewhere.
    let mut code = code_words(&docs);
    // Words that are not identifiers (`http/1.1`) are looked for as written.
    code.extend(
        every_word()
            .into_iter()
            .filter(|w| w.contains('/') && docs.contains(*w))
            .map(str::to_string),
    );
    let absent = missing(every_word(), &code);
    assert!(
        absent.is_empty(),
        "words the reference never writes in code: {absent:?}"
    );
}

#[test]
fn the_fuzz_dictionary_holds_every_word_and_only_real_ones() {
    let dict = read("fuzz/pxy.dict");
    let entry = Regex::new(r#"(?m)^"([A-Za-z_][A-Za-z0-9_/.]*[A-Za-z0-9_])"$"#).unwrap();
    let entries: BTreeSet<String> = entry
        .captures_iter(&dict)
        .map(|c| c[1].to_string())
        .collect();
    let every = every_word();
    // Field paths (`req.path`) are entries too, and the methods of the grammar's `method_lit`.
    let paths: BTreeSet<String> = catalog::FIELDS.iter().map(|f| f.path()).collect();
    let pest = read("grammar/pxy.pest");
    let methods_rule = pest
        .lines()
        .find(|l| l.starts_with("method_lit"))
        .expect("a method_lit rule");
    let methods: BTreeSet<&str> = Regex::new(r#""([A-Z]+)""#)
        .unwrap()
        .captures_iter(methods_rule)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    let unknown: Vec<&String> = entries
        .iter()
        .filter(|w| {
            !every.contains(w.as_str()) && !paths.contains(*w) && !methods.contains(w.as_str())
        })
        .collect();
    assert!(
        unknown.is_empty(),
        "fuzz/pxy.dict has words no table has: {unknown:?}"
    );
    let absent = missing(every, &entries);
    assert!(absent.is_empty(), "fuzz/pxy.dict lacks {absent:?}");
}
