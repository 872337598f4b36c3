//! `textDocument/hover`: the type and a one-line doc of what is under the cursor.
//!
//! Fields, functions, `let` names and upstreams come from the [`Analysis`] of the parsed
//! document; keywords and the other fixed words are recognised from the text alone, so they
//! have hovers even while the document does not parse.

use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind};
use pxy_dsl::Span;

use super::analysis::{Analysis, Target};
use super::context::{self, Mode};
use super::documents;
use pxy_compiler::catalog;

/// The hover for the byte offset `offset` of `source`, if there is something to say.
pub fn hover(source: &str, offset: usize) -> Option<Hover> {
    let from_analysis = pxy_dsl::parse(source).ok().and_then(|program| {
        let analysis = Analysis::new(&program);
        let occurrence = analysis.at(offset)?;
        Some((occurrence.span, describe(&analysis, &occurrence.target)?))
    });
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
fn describe(analysis: &Analysis<'_>, target: &Target<'_>) -> Option<String> {
    Some(match target {
        Target::Field(field, key) => {
            let access = match (field.is_headers(), key) {
                (true, Some(key)) => format!("{}.headers[{key:?}]", field.object),
                (true, None) => format!("{}.headers[\"name\"]", field.object),
                (false, _) => format!("{}.{}", field.object, field.name),
            };
            markdown(&format!("{access}: {}", (field.ty)()), field.doc)
        }
        Target::Function(f) => markdown(f.signature, f.doc),
        Target::Let(id) => {
            let binding = analysis.lets.get(*id)?;
            let code = match &binding.ty {
                Some(ty) => format!("let {}: {ty}", binding.name),
                None => format!("let {}", binding.name),
            };
            markdown(
                &code,
                "A name bound by `let`, visible in the rest of its block.",
            )
        }
        Target::Upstream(name) => {
            let Some(decl) = analysis.upstreams.iter().find(|u| u.name == *name) else {
                return Some(markdown(
                    &format!("proxy {name}"),
                    "No upstream of this name is declared.",
                ));
            };
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
        hover(source, offset).map(|h| match h.contents {
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
        assert!(text("headers[\"X").contains("req.headers[\"X-Name\"]: str?"));
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
    fn keywords_have_hovers_while_the_document_does_not_parse() {
        let broken = "route {\n    respond\n";
        assert!(hover_text(broken, "respond").is_some_and(|t| t.contains("respond STATUS")));
        assert_eq!(hover_text(broken, "\n    respond"), None);
    }
}
