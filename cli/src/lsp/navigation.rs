//! Moving around a document: go to definition and find references (upstream names, `proxy api`
//! ↔ `upstream api`, and `let` bindings), and the document's outline (listeners, upstreams with
//! their servers, routes named by their matchers, `on` blocks).

use lsp_types::{DocumentSymbol, Location, SymbolKind, Uri};
use pxy_dsl::ast::{Item, ParsedProgram, UpstreamItem};
use pxy_dsl::Span;

use super::analysis::Analysis;
use super::documents;

/// Where the upstream or binding at `offset` is declared.
pub fn definition(uri: &Uri, source: &str, offset: usize) -> Option<Location> {
    let analysis = Analysis::of(Some(uri), source);
    let span = analysis.definition(&analysis.at(offset)?.target)?;
    Some(location(uri, source, span))
}

/// Every occurrence of the upstream or binding at `offset`; its declaration only when asked.
pub fn references(
    uri: &Uri,
    source: &str,
    offset: usize,
    include_declaration: bool,
) -> Option<Vec<Location>> {
    let analysis = Analysis::of(Some(uri), source);
    let target = &analysis.at(offset)?.target;
    let declaration = analysis.definition(target);
    let spans = analysis.references(target);
    Some(
        spans
            .into_iter()
            .filter(|span| include_declaration || Some(*span) != declaration)
            .map(|span| location(uri, source, span))
            .collect(),
    )
}

fn location(uri: &Uri, source: &str, span: Span) -> Location {
    Location::new(uri.clone(), documents::range(source, span))
}

/// The outline of a document, or `None` while it does not parse.
pub fn symbols(source: &str) -> Option<Vec<DocumentSymbol>> {
    let program: ParsedProgram = pxy_dsl::parse(source).ok()?;
    let symbol = |name: String, detail: Option<String>, kind, span: Span, selection: Span| {
        #[allow(deprecated)] // `deprecated` is a required field of the protocol type.
        DocumentSymbol {
            name,
            detail,
            kind,
            tags: None,
            deprecated: None,
            range: documents::range(source, span),
            selection_range: documents::range(source, selection),
            children: None,
        }
    };
    let outline = program
        .items
        .iter()
        .map(|item| match item {
            Item::Test(test) => symbol(
                test.name.value.clone(),
                Some("test".into()),
                SymbolKind::METHOD,
                test.span,
                test.name.span,
            ),
            Item::Include(include) => symbol(
                format!("include {:?}", include.path.value),
                None,
                SymbolKind::FILE,
                include.span,
                include.path.span,
            ),
            Item::Server(block) => symbol(
                "server".into(),
                None,
                SymbolKind::NAMESPACE,
                block.span,
                pxy_dsl::Span::new(block.span.start, block.span.start + "server".len()),
            ),
            Item::Listen(listen) => symbol(
                format!("listen {} {}", listen.protocol.name, listen.addr.value),
                None,
                SymbolKind::INTERFACE,
                listen.span,
                listen.addr.span,
            ),
            Item::Upstream(decl) => {
                let servers: Vec<DocumentSymbol> = decl
                    .items
                    .iter()
                    .filter_map(|i| match i {
                        UpstreamItem::Server(server) => Some(symbol(
                            server.addr.value.clone(),
                            server.weight.map(|w| format!("weight {}", w.value)),
                            SymbolKind::FIELD,
                            server.span,
                            server.addr.span,
                        )),
                        _ => None,
                    })
                    .collect();
                let mut up = symbol(
                    decl.name.name.clone(),
                    Some("upstream".into()),
                    SymbolKind::MODULE,
                    decl.span,
                    decl.name.span,
                );
                up.children = Some(servers);
                up
            }
            Item::Limit(limit) => symbol(
                limit.name.name.clone(),
                Some(format!(
                    "limit {} per {}",
                    limit.requests.value,
                    &source[limit.period.span.start..limit.period.span.end]
                )),
                SymbolKind::CONSTANT,
                limit.span,
                limit.name.span,
            ),
            Item::Data(data) => symbol(
                data.name.name.clone(),
                Some(format!(
                    "{} from file {:?}",
                    data.kind.keyword(),
                    data.path.value
                )),
                SymbolKind::CONSTANT,
                data.span,
                data.name.span,
            ),
            Item::Cache(cache) => symbol(
                cache.name.name.clone(),
                Some("cache".into()),
                SymbolKind::CONSTANT,
                cache.span,
                cache.name.span,
            ),
            Item::BasicAuth(basic) => symbol(
                basic.name.name.clone(),
                Some("basic_auth".into()),
                SymbolKind::KEY,
                basic.span,
                basic.name.span,
            ),
            Item::ForwardAuth(forward) => symbol(
                forward.name.name.clone(),
                Some("forward_auth".into()),
                SymbolKind::KEY,
                forward.span,
                forward.name.span,
            ),
            Item::Jwt(jwt) => symbol(
                jwt.name.name.clone(),
                Some("jwt".into()),
                SymbolKind::KEY,
                jwt.span,
                jwt.name.span,
            ),
            Item::Route(route) => symbol(
                collapse_whitespace(&source[route.head_span.start..route.head_span.end]),
                None,
                SymbolKind::METHOD,
                route.span,
                route.head_span,
            ),
            Item::On(on) => symbol(
                format!("on {}", on.phase.name),
                None,
                SymbolKind::EVENT,
                on.span,
                on.phase.span,
            ),
        })
        .collect();
    Some(outline)
}

/// `route  host "a"\n  path "/v1/"` as `route host "a" path "/v1/"`.
fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "listen http 127.0.0.1:8080\nupstream api { server 127.0.0.1:9001 weight 2 }\nroute host \"é.example\"\n      path \"/v1/\" {\n    let who = \"x\"\n    set req.headers[\"x\"] = who\n    proxy api\n}\non response { }\n";

    fn uri() -> Uri {
        "file:///%C3%A9.pxy".parse().expect("uri")
    }

    #[test]
    fn definition_and_references_of_upstreams_and_lets() {
        let at = |marker: &str| SOURCE.find(marker).expect("marker");
        let def = definition(&uri(), SOURCE, at("api\n")).expect("definition");
        assert_eq!(
            def.range,
            documents::range(SOURCE, Span::new(at("api {"), at("api {") + 3))
        );
        let refs = references(&uri(), SOURCE, at("api {"), true).expect("references");
        assert_eq!(refs.len(), 2);
        let uses = references(&uri(), SOURCE, at("api {"), false).expect("references");
        assert_eq!(uses.len(), 1);
        assert_eq!(uses[0].range.start.line, 6);
        let def = definition(&uri(), SOURCE, at("who\n")).expect("let definition");
        assert_eq!(def.range.start, documents::position(SOURCE, at("who =")));
        assert!(definition(&uri(), SOURCE, at("listen")).is_none());
    }

    #[test]
    fn outline_names_routes_by_their_matchers() {
        let outline = symbols(SOURCE).expect("parses");
        let names: Vec<&str> = outline.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "listen http 127.0.0.1:8080",
                "api",
                "route host \"é.example\" path \"/v1/\"",
                "on response"
            ]
        );
        let servers = outline[1].children.as_deref().unwrap_or_default();
        assert_eq!(servers.len(), 1);
        assert_eq!(servers[0].name, "127.0.0.1:9001");
        assert_eq!(servers[0].detail.as_deref(), Some("weight 2"));
        assert!(symbols("route {").is_none());
    }
}
