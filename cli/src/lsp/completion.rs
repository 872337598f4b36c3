//! `textDocument/completion`: what may be typed at the cursor.
//!
//! The context comes from the text before the cursor on its line: after `req.`, `resp.` or
//! `client.` the fields of that object; after `proxy` (and a `forward_auth`'s `service`) the
//! declared upstreams; after `verify_jwt`, `verify_basic`, `verify_forward`, `cache`, `purge`
//! and `rate_limit` the declared verifiers, caches and limits; after `balance` the policies;
//! after `on` the phases; inside an `upstream { }` its items; elsewhere the keywords,
//! functions, objects and the `let` names in scope. Nothing is offered inside strings, regexes
//! and comments.
//!
//! Names and their types come from the checked document ([`Analysis`]). The line being typed
//! rarely parses, so when the whole document does not, it is checked again with that line
//! blanked out (first up to the cursor, then whole); blanking keeps every byte offset, so spans
//! still point at the real text.

use lsp_types::{CompletionItem, CompletionItemKind, CompletionResponse, Uri};

use super::analysis::{self, Analysis};
use super::context::{self, Mode};
use pxy_compiler::catalog::fields::OBJECTS;
use pxy_compiler::catalog::settings::{SERVER_SETTINGS, UPSTREAM_SETTINGS};
use pxy_compiler::catalog::words::{Word, LISTEN_PROTOCOLS, PHASES, POLICIES};
use pxy_compiler::catalog::{self, FIELDS, FUNCTIONS, KEYWORDS};
use pxy_compiler::typed::TypedDataKind;

/// The keywords that start a line of an `upstream { }` block.
const UPSTREAM_KEYWORDS: &[&str] = &["server", "balance", "health", "passive", "discover"];

/// The completions at the byte offset `offset` of the document `source`.
pub fn completion(uri: Option<&Uri>, source: &str, offset: usize) -> Option<CompletionResponse> {
    if context::mode_at(source, offset) != Mode::Code {
        return None;
    }
    let word_start = context::word_start(source, offset);
    let before = source[context::line_start(source, offset)..word_start].trim_end();
    if let Some(object) = before.strip_suffix('.') {
        let object = &object[context::word_start(object, object.len())..];
        return Some(CompletionResponse::Array(fields(object)));
    }
    let analysis = analyse_around(uri, source, offset);
    let previous = &before[context::word_start(before, before.len())..];
    let items = match previous {
        // `proxy NAME`, and a `forward_auth`'s `service NAME`.
        "proxy" | "service" => analysis
            .upstreams
            .iter()
            .map(|u| {
                let detail = format!("upstream ({} servers)", u.servers.len());
                item(&u.name, CompletionItemKind::MODULE, detail)
            })
            .collect(),
        "verify_jwt" => declared(&analysis.declared.jwts, "jwt verifier"),
        "verify_basic" => declared(&analysis.declared.basic_auths, "basic_auth users file"),
        "verify_forward" => declared(&analysis.declared.forward_auths, "forward_auth service"),
        "cache" | "purge" => declared(&analysis.declared.caches, "cache"),
        "rate_limit" => declared(&analysis.declared.limits, "limit"),
        "balance" => words(POLICIES, CompletionItemKind::ENUM_MEMBER),
        "on" => words(PHASES, CompletionItemKind::EVENT),
        "listen" => words(LISTEN_PROTOCOLS, CompletionItemKind::ENUM_MEMBER),
        _ if analysis.upstream_around(offset).is_some() => upstream_items(),
        _ => general(&analysis, offset),
    };
    Some(CompletionResponse::Array(items))
}

/// The document checked as it is or, when it does not parse, with the cursor's line blanked
/// (see the module docs).
fn analyse_around(uri: Option<&Uri>, source: &str, offset: usize) -> Analysis {
    let whole = analysis::analyse(uri, source);
    if whole.checked.partial().is_some() {
        return Analysis::new(&whole.checked, source);
    }
    let start = context::line_start(source, offset);
    let end = source[offset..]
        .find('\n')
        .map_or(source.len(), |i| offset + i);
    [offset, end]
        .into_iter()
        .find_map(|blank_end| {
            let mut text = String::with_capacity(source.len());
            text.push_str(&source[..start]);
            // One space per byte keeps every offset after the line where it was.
            text.extend(std::iter::repeat_n(' ', blank_end - start));
            text.push_str(&source[blank_end..]);
            let checked = analysis::analyse(uri, &text).checked;
            checked
                .partial()
                .is_some()
                .then(|| Analysis::new(&checked, &text))
        })
        .unwrap_or_default()
}

fn item(label: &str, kind: CompletionItemKind, detail: String) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: Some(detail),
        ..CompletionItem::default()
    }
}

/// Declared names of one kind (`what`, as the detail).
fn declared(names: &[String], what: &str) -> Vec<CompletionItem> {
    names
        .iter()
        .map(|name| item(name, CompletionItemKind::CONSTANT, what.to_string()))
        .collect()
}

/// The words of a table, with their documented syntax as detail.
fn words<T: Copy>(table: &'static [Word<T>], kind: CompletionItemKind) -> Vec<CompletionItem> {
    table
        .iter()
        .map(|w| item(w.word, kind, w.syntax.to_string()))
        .collect()
}

/// What starts a line inside an `upstream { }`: its keywords, then its settings.
fn upstream_items() -> Vec<CompletionItem> {
    let keywords = UPSTREAM_KEYWORDS.iter().filter_map(|k| {
        let info = catalog::lookup(KEYWORDS, k)?;
        Some(item(
            k,
            CompletionItemKind::KEYWORD,
            info.syntax.to_string(),
        ))
    });
    keywords
        .chain(words(UPSTREAM_SETTINGS, CompletionItemKind::PROPERTY))
        .chain(words(SERVER_SETTINGS, CompletionItemKind::PROPERTY))
        .collect()
}

/// The fields of an object (`req`, `resp`, ...).
fn fields(object: &str) -> Vec<CompletionItem> {
    let Some(object) = catalog::Object::from_word(object) else {
        return Vec::new();
    };
    FIELDS
        .iter()
        .filter(|f| f.object == object)
        .map(|f| {
            let mut it = item(f.name, CompletionItemKind::FIELD, (f.ty)().to_string());
            it.documentation = Some(lsp_types::Documentation::String(f.doc.to_string()));
            if f.is_indexed_only() {
                it.insert_text = Some(format!("{}[\"\"]", f.name));
            }
            it
        })
        .collect()
}

/// Keywords, functions, objects and the `let` names in scope.
fn general(analysis: &Analysis, offset: usize) -> Vec<CompletionItem> {
    let keywords = KEYWORDS
        .iter()
        .chain(catalog::words::DATA_WORDS)
        .map(|k| item(k.word, CompletionItemKind::KEYWORD, k.syntax.to_string()));
    let data = analysis.data.iter().map(|d| {
        let detail = match d.kind {
            TypedDataKind::List(element) => format!("list of {} from {}", element.ty(), d.path),
            TypedDataKind::Flag => format!("flag: bool, true while {} exists", d.path),
        };
        item(&d.name, CompletionItemKind::CONSTANT, detail)
    });
    let functions = FUNCTIONS.iter().map(|f| {
        let mut it = item(f.name, CompletionItemKind::FUNCTION, f.signature());
        it.insert_text = Some(format!("{}(", f.name));
        it
    });
    let objects = OBJECTS
        .iter()
        .map(|o| item(o.word, CompletionItemKind::MODULE, o.doc.to_string()));
    let names = analysis.lets_in_scope(offset).into_iter().map(|l| {
        item(
            &l.name,
            CompletionItemKind::VARIABLE,
            format!("let: {}", l.ty),
        )
    });
    names
        .chain(data)
        .chain(keywords)
        .chain(functions)
        .chain(objects)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The labels offered where `$` is in `source`.
    fn labels(source: &str) -> Vec<String> {
        let offset = source.find('$').expect("cursor marker");
        let source = source.replacen('$', "", 1);
        match completion(None, &source, offset) {
            Some(CompletionResponse::Array(items)) => items.into_iter().map(|i| i.label).collect(),
            _ => Vec::new(),
        }
    }

    const HEAD: &str =
        "listen http 127.0.0.1:8080\nupstream api { server 127.0.0.1:9001 }\n# é😀\n";

    #[test]
    fn fields_after_a_dot() {
        let got = labels(&format!(
            "{HEAD}route {{\n    set req.headers[\"é\"] = req.$\n}}"
        ));
        assert_eq!(
            got,
            [
                "method",
                "path",
                "query",
                "host",
                "scheme",
                "headers",
                "header_values",
                "cookies",
                "upgrade"
            ]
        );
        assert_eq!(labels("on response { if resp.st$"), ["status", "headers"]);
        assert_eq!(labels("on response { if client.$ }"), ["ip", "port"]);
    }

    #[test]
    fn upstreams_after_proxy_even_while_the_line_does_not_parse() {
        assert_eq!(labels(&format!("{HEAD}route {{\n    proxy $\n}}")), ["api"]);
        assert_eq!(labels(&format!("{HEAD}route {{ proxy a$ }}")), ["api"]);
        let service =
            format!("{HEAD}forward_auth sso {{\n    service $\n}}\nroute {{ proxy api }}");
        assert_eq!(labels(&service), ["api"]);
    }

    #[test]
    fn verifiers_caches_and_limits_after_the_statements_that_name_them() {
        let head = format!(
            "{HEAD}jwt api_tokens {{ secret \"hs.key\" }}\njwt partners {{ secret \"p.key\" }}\n\
             basic_auth admins {{ users \"htpasswd\" }}\ncache main {{ size 1MiB }}\n\
             forward_auth sso {{ service api }}\n\
             limit per_ip = 10 per 1s by client.ip\n"
        );
        let at = |line: &str| labels(&format!("{head}route {{\n    {line}\n    proxy api\n}}"));
        assert_eq!(at("verify_jwt $"), ["api_tokens", "partners"]);
        assert_eq!(at("verify_basic a$"), ["admins"]);
        assert_eq!(at("verify_forward $"), ["sso"]);
        assert_eq!(at("cache $"), ["main"]);
        assert_eq!(at("purge $"), ["main"]);
        assert_eq!(at("rate_limit $"), ["per_ip"]);
    }

    #[test]
    fn lets_keywords_and_functions_elsewhere() {
        let got = labels(&format!("{HEAD}route {{\n    let who = \"x\"\n    $\n}}"));
        assert_eq!(got.first().map(String::as_str), Some("who"));
        for want in ["respond", "proxy", "lower", "req"] {
            assert!(got.iter().any(|l| l == want), "{want} in {got:?}");
        }
        let upstream = labels("upstream api {\n    server 127.0.0.1:9001\n    r$\n}");
        assert!(upstream.iter().any(|l| l == "read_timeout"), "{upstream:?}");
        assert_eq!(
            labels("upstream api { balance $ }"),
            [
                "round_robin",
                "random",
                "least_conn",
                "power_of_two",
                "hash"
            ]
        );
    }

    #[test]
    fn lets_with_the_checkers_types_in_a_document_with_errors() {
        // The line being typed does not parse and another line has a type error: the names
        // in scope still come with the types the checker gave them.
        let source = format!(
            "{HEAD}route {{\n    let n = hash(req.path) % 10\n    set req.headers[\"x\"] = 5\n    $\n    respond 200 \"{{n}}\"\n}}"
        );
        let offset = source.find('$').expect("cursor marker");
        let source = source.replacen('$', "lower(", 1);
        let Some(CompletionResponse::Array(items)) = completion(None, &source, offset) else {
            panic!("no completions");
        };
        let n = items.iter().find(|i| i.label == "n").expect("n offered");
        assert_eq!(n.detail.as_deref(), Some("let: int"));
        let upstream = labels("upstream api {\n    server 127.0.0.1:9001\n    $\n}");
        for want in ["health", "passive", "tls_sni", "when_all_down"] {
            assert!(upstream.iter().any(|l| l == want), "{want} in {upstream:?}");
        }
    }

    #[test]
    fn nothing_in_strings_and_comments() {
        assert!(labels("route { respond 200 \"req.$\" }").is_empty());
        assert!(labels("# proxy $").is_empty());
        assert_eq!(labels("route { respond 200 \"{req.$}\" }").len(), 9);
    }
}
