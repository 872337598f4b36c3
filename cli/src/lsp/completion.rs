//! `textDocument/completion`: what may be typed at the cursor.
//!
//! The context comes from the text before the cursor on its line: after `req.`, `resp.` or
//! `client.` the fields of that object; after `proxy` the declared upstreams; after `balance`
//! the policies; after `on` the phases; inside an `upstream { }` its items; elsewhere the
//! keywords, functions, objects and the `let` names in scope. Nothing is offered inside strings,
//! regexes and comments.
//!
//! Names come from the parsed document. The line being typed rarely parses, so when the whole
//! document does not, it is parsed again with that line blanked out (first up to the cursor,
//! then whole); blanking keeps every byte offset, so spans still point at the real text.

use lsp_types::{CompletionItem, CompletionItemKind, CompletionResponse};
use pxy_dsl::ParsedProgram;

use super::analysis::Analysis;
use super::context::{self, Mode};
use pxy_compiler::catalog::{self, FIELDS, FUNCTIONS, KEYWORDS, OBJECTS};

/// Upstream items, offered inside an `upstream { }` block.
const UPSTREAM_ITEMS: &[&str] = &[
    "server",
    "balance",
    "connect_timeout",
    "read_timeout",
    "retries",
];

/// The completions at the byte offset `offset` of `source`.
pub fn completion(source: &str, offset: usize) -> Option<CompletionResponse> {
    if context::mode_at(source, offset) != Mode::Code {
        return None;
    }
    let word_start = context::word_start(source, offset);
    let before = source[context::line_start(source, offset)..word_start].trim_end();
    if let Some(object) = before.strip_suffix('.') {
        let object = &object[context::word_start(object, object.len())..];
        return Some(CompletionResponse::Array(fields(object)));
    }
    let program = parse_around(source, offset);
    let analysis = program.as_ref().map(Analysis::new);
    let previous = &before[context::word_start(before, before.len())..];
    let items = match previous {
        "proxy" => analysis
            .iter()
            .flat_map(|a| &a.upstreams)
            .map(|u| {
                let detail = format!("upstream ({} servers)", u.servers.len());
                item(&u.name, CompletionItemKind::MODULE, detail)
            })
            .collect(),
        "balance" => words(&["round_robin", "random"], CompletionItemKind::ENUM_MEMBER),
        "on" => words(&["request", "response"], CompletionItemKind::EVENT),
        "listen" => words(&["http"], CompletionItemKind::ENUM_MEMBER),
        _ => match &analysis {
            Some(a) if a.upstream_around(offset).is_some() => {
                words(UPSTREAM_ITEMS, CompletionItemKind::KEYWORD)
            }
            _ => general(analysis.as_ref(), offset),
        },
    };
    Some(CompletionResponse::Array(items))
}

/// The document parsed as it is, or with the cursor's line blanked (see the module docs).
fn parse_around(source: &str, offset: usize) -> Option<ParsedProgram> {
    if let Ok(program) = pxy_dsl::parse(source) {
        return Some(program);
    }
    let start = context::line_start(source, offset);
    let end = source[offset..]
        .find('\n')
        .map_or(source.len(), |i| offset + i);
    [offset, end].into_iter().find_map(|blank_end| {
        let mut text = String::with_capacity(source.len());
        text.push_str(&source[..start]);
        // One space per byte keeps every offset after the line where it was.
        text.extend(std::iter::repeat_n(' ', blank_end - start));
        text.push_str(&source[blank_end..]);
        pxy_dsl::parse(&text).ok()
    })
}

fn item(label: &str, kind: CompletionItemKind, detail: String) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: Some(detail),
        ..CompletionItem::default()
    }
}

/// Fixed words, with their documented syntax as detail.
fn words(words: &[&str], kind: CompletionItemKind) -> Vec<CompletionItem> {
    words
        .iter()
        .map(|w| {
            let detail = catalog::word(w).map_or_else(String::new, |i| i.syntax.to_string());
            item(w, kind, detail)
        })
        .collect()
}

/// The fields of `req`, `resp` or `client`.
fn fields(object: &str) -> Vec<CompletionItem> {
    FIELDS
        .iter()
        .filter(|f| f.object == object)
        .map(|f| {
            let mut it = item(f.name, CompletionItemKind::FIELD, (f.ty)().to_string());
            it.documentation = Some(lsp_types::Documentation::String(f.doc.to_string()));
            if f.is_headers() {
                it.insert_text = Some("headers[\"\"]".to_string());
            }
            it
        })
        .collect()
}

/// Keywords, functions, objects and the `let` names in scope.
fn general(analysis: Option<&Analysis<'_>>, offset: usize) -> Vec<CompletionItem> {
    let keywords = KEYWORDS
        .iter()
        .map(|k| item(k.word, CompletionItemKind::KEYWORD, k.syntax.to_string()));
    let functions = FUNCTIONS.iter().map(|f| {
        let mut it = item(
            f.name,
            CompletionItemKind::FUNCTION,
            f.signature.to_string(),
        );
        it.insert_text = Some(format!("{}(", f.name));
        it
    });
    let objects = OBJECTS
        .iter()
        .map(|(name, doc)| item(name, CompletionItemKind::MODULE, doc.to_string()));
    let names = analysis
        .map(|a| a.lets_in_scope(offset))
        .unwrap_or_default()
        .into_iter()
        .map(|l| {
            let detail =
                l.ty.as_ref()
                    .map_or_else(|| "let".to_string(), |t| format!("let: {t}"));
            item(&l.name, CompletionItemKind::VARIABLE, detail)
        });
    names
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
        match completion(&source, offset) {
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
            ["method", "path", "query", "host", "scheme", "headers", "cookies", "upgrade"]
        );
        assert_eq!(labels("on response { if resp.st$"), ["status", "headers"]);
        assert_eq!(labels("on response { if client.$ }"), ["ip", "port"]);
    }

    #[test]
    fn upstreams_after_proxy_even_while_the_line_does_not_parse() {
        assert_eq!(labels(&format!("{HEAD}route {{\n    proxy $\n}}")), ["api"]);
        assert_eq!(labels(&format!("{HEAD}route {{ proxy a$ }}")), ["api"]);
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
            ["round_robin", "random"]
        );
    }

    #[test]
    fn nothing_in_strings_and_comments() {
        assert!(labels("route { respond 200 \"req.$\" }").is_empty());
        assert!(labels("# proxy $").is_empty());
        assert_eq!(labels("route { respond 200 \"{req.$}\" }").len(), 8);
    }
}
