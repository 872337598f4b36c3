//! `textDocument/hover`: the type and a one-line doc of what is under the cursor.
//!
//! Fields, functions, `let` names and upstreams come from the [`Analysis`] of the checked
//! document, with the types the checker gave them; keywords and the other fixed words are
//! recognised from the text alone, so they have hovers even while the document does not parse.

use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind, Uri};
use pxy_dsl::Span;

use super::analysis::{Analysis, Target};
use super::context::{self, Mode};
use super::documents;
use pxy_compiler::catalog;

/// The hover for the byte offset `offset` of the document `source`, if there is something
/// to say.
pub fn hover(uri: Option<&Uri>, source: &str, offset: usize) -> Option<Hover> {
    let analysis = Analysis::of(uri, source);
    let from_analysis = analysis
        .at(offset)
        .and_then(|o| Some((o.span, describe(&analysis, &o.target)?)));
    let (span, text) = from_analysis.or_else(|| word(source, offset))?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: text,
        }),
        range: Some(documents::range(source, span)),
    })
}

/// A code line (the signature) followed by the doc, as Markdown.
fn markdown(code: &str, doc: &str) -> String {
    format!("```pxy\n{code}\n```\n{doc}")
}

/// Words for an occurrence.
fn describe(analysis: &Analysis, target: &Target) -> Option<String> {
    Some(match target {
        Target::Field(field, key, ty) => {
            let access = match key {
                Some(key) => format!("{}[{key:?}]", field.path()),
                None => field.path(),
            };
            markdown(&format!("{access}: {ty}"), field.doc)
        }
        Target::Function(f) => markdown(&f.signature(), f.doc),
        Target::Let(id) => {
            let binding = analysis.lets.get(*id)?;
            markdown(
                &format!("let {}: {}", binding.name, binding.ty),
                "A name bound by `let`, visible in the rest of its block.",
            )
        }
        Target::Upstream(id) => {
            let decl = analysis.upstreams.get(*id)?;
            let name = &decl.name;
            let servers = if decl.servers.is_empty() {
                "No servers.".to_string()
            } else {
                let list: Vec<String> = decl.servers.iter().map(|s| format!("`{s}`")).collect();
                format!("Servers: {}.", list.join(", "))
            };
            markdown(&format!("upstream {name}"), &servers)
        }
    })
}

/// A keyword or fixed word under the cursor, in code.
fn word(source: &str, offset: usize) -> Option<(Span, String)> {
    let (start, end) = context::word_around(source, offset)?;
    // After a dot, a word is a field name (`req.path`), never a keyword.
    if source[..start].ends_with('.') || context::mode_at(source, start) != Mode::Code {
        return None;
    }
    let info = catalog::word(&source[start..end])?;
    Some((Span::new(start, end), markdown(info.syntax, info.doc)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hover_text(source: &str, marker: &str) -> Option<String> {
        let offset = source.find(marker).expect("marker") + 1;
        hover(None, source, offset).map(|h| match h.contents {
            HoverContents::Markup(m) => m.value,
            _ => String::new(),
        })
    }

    const SOURCE: &str = r#"listen http 127.0.0.1:8080
upstream api { server 127.0.0.1:9001 weight 3 server 127.0.0.1:9002 }
route path "/é" {
    let who = req.headers["X-Name"] ?? "world"
    set req.headers["x-who"] = lower(who)
    respond 200 "{who} {client.ip} route"
}
route { proxy api }
"#;

    #[test]
    fn hovers_describe_fields_functions_names_upstreams_and_keywords() {
        let text = |marker| hover_text(SOURCE, marker).unwrap_or_default();
        // Header names as the checker keeps them: lower case.
        assert!(text("headers[\"X").contains("req.headers[\"x-name\"]: str?"));
        assert!(text("lower(").contains("lower(s: str) -> str"));
        assert!(text("who =").contains("let who: str"));
        assert!(text("who)").contains("let who: str"));
        assert!(text("client.ip").contains("client.ip: ip"));
        assert!(text("api {").contains("`127.0.0.1:9001 weight 3`, `127.0.0.1:9002`"));
        assert!(text("api }").contains("upstream api"));
        assert!(text("respond").contains("respond STATUS"));
        assert!(text("listen").contains("listen http ADDRESS"));
        // A keyword inside a string is text.
        assert_eq!(hover_text(SOURCE, " route\""), None);
    }

    #[test]
    fn hovers_show_the_checkers_types_in_a_document_with_errors() {
        // An unknown upstream and a type error elsewhere do not take the `let`s' types away;
        // a field proven present is shown as the checker narrowed it.
        let source = r#"listen http 127.0.0.1:8080
route path "/a" {
    let n = hash(req.path) % 100
    if present(req.headers["x-id"]) {
        let id = req.headers["x-id"]
        respond 200 "{id} {n}"
    }
    proxy nowhere
}
route { set req.headers["x"] = 5 respond 404 }
"#;
        assert!(pxy_compiler::driver::check_source(source).has_errors());
        let text = |marker| hover_text(source, marker).unwrap_or_default();
        assert!(text("n =").contains("let n: int"), "{}", text("n ="));
        assert!(text("id =").contains("let id: str"), "{}", text("id ="));
        assert!(text("id} {n}").contains("let id: str"));
        assert!(text("headers[\"x-id\"]\n").contains("req.headers[\"x-id\"]: str\n"));
        assert!(text("hash(").contains("hash(s: str) -> int"));
        // A place a statement writes.
        assert!(text("headers[\"x\"] = 5").contains("req.headers[\"x\"]: str?"));
    }

    #[test]
    fn keywords_have_hovers_while_the_document_does_not_parse() {
        let broken = "route {\n    respond\n";
        assert!(hover_text(broken, "respond").is_some_and(|t| t.contains("respond STATUS")));
        assert_eq!(hover_text(broken, "\n    respond"), None);
    }
}
