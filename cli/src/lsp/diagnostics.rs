//! Diagnostics for a document: `pxy_compiler::driver::analyse` worded by
//! `pxy_compiler::diagnostic::describe`, as LSP diagnostics with the same code, severity,
//! message and help as `proxyc check`, the primary label's range, and the other labels as
//! related information.
//!
//! Includes are read from disk relative to the document (a document that is not a `file:`
//! URI cannot include). Everything is published on the open document: a problem inside an
//! included file is reported on the `include` line that brought the file in, its message
//! prefixed with the file's path, so one publish per document stays the whole truth.

use lsp_types::{
    Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Uri,
};
use pxy_compiler::diagnostic::describe;
use pxy_compiler::sources::SourceMap;
use pxy_dsl::Span;

use super::documents;

/// Every problem in `source` (and the files it includes), in source order; empty when there is
/// none.
pub fn diagnostics(uri: &Uri, source: &str) -> Vec<Diagnostic> {
    let analysis = super::analysis::analyse(Some(uri), source);
    let sources = &analysis.sources;
    analysis
        .checked
        .problems
        .iter()
        .map(|problem| {
            let d = describe(problem);
            // A problem about the whole program (no listener) points at its start.
            let primary = d.labels.first().map_or(Span::new(0, 0), |l| l.span);
            let related: Vec<DiagnosticRelatedInformation> = d
                .labels
                .iter()
                .skip(1)
                .map(|l| DiagnosticRelatedInformation {
                    location: Location::new(
                        uri.clone(),
                        documents::range(source, sources.in_main(l.span)),
                    ),
                    message: in_file(sources, l.span, &l.text),
                })
                .collect();
            let message = in_file(sources, primary, &d.message);
            let message = match &d.help {
                Some(help) => format!("{message}\nhelp: {help}"),
                None => message,
            };
            Diagnostic {
                range: documents::range(source, sources.in_main(primary)),
                severity: Some(if d.is_warning {
                    DiagnosticSeverity::WARNING
                } else {
                    DiagnosticSeverity::ERROR
                }),
                code: Some(NumberOrString::String(d.code.to_string())),
                source: Some("proxyc".to_string()),
                message,
                related_information: (!related.is_empty()).then_some(related),
                ..Diagnostic::default()
            }
        })
        .collect()
}

/// `text`, prefixed with the file and line it is about when that is not the open document.
fn in_file(sources: &SourceMap, span: Span, text: &str) -> String {
    let file = sources.file_of(span);
    if file.base == sources.main().base {
        return text.to_string();
    }
    let line = documents::range(&file.text, file.local(span)).start.line + 1;
    format!("in {}:{line}: {text}", file.path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_ranges_and_related_information() {
        let uri: Uri = "file:///t.pxy".parse().expect("uri");
        let source = "# é😀\nlisten http 127.0.0.1:8080\nupstream a { server 127.0.0.1:1 }\nupstream a { server 127.0.0.1:2 }\nroute { proxy a }\n";
        let got = diagnostics(&uri, source);
        assert_eq!(got.len(), 1, "{got:?}");
        let d = &got[0];
        assert_eq!(d.code, Some(NumberOrString::String("E0106".into())));
        assert_eq!(d.severity, Some(DiagnosticSeverity::ERROR));
        assert_eq!(d.range.start, lsp_types::Position::new(3, 9));
        assert!(d.message.contains("\nhelp: "));
        let related = d.related_information.as_deref().unwrap_or_default();
        assert_eq!(related.len(), 1);
        assert_eq!(
            related[0].location.range.start,
            lsp_types::Position::new(2, 9)
        );
        assert!(diagnostics(&uri, "listen http 127.0.0.1:8080\nroute { respond 200 }").is_empty());
    }

    #[test]
    fn problems_in_included_files_show_on_the_include_line() {
        let dir = std::env::temp_dir().join(format!("pxy-lsp-include-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(
            dir.join("up.pxy"),
            "upstream api { server 127.0.0.1:1 weight 0 }\n",
        )
        .expect("write");
        let uri: Uri = format!("file://{}/main%2Epxy", dir.display())
            .parse()
            .expect("uri");
        let source = "listen http 127.0.0.1:8080\ninclude \"up.pxy\"\nroute { proxy api }\n";
        let got = diagnostics(&uri, source);
        std::fs::remove_dir_all(&dir).expect("clean up");
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].code, Some(NumberOrString::String("E0503".into())));
        assert_eq!(got[0].range.start, lsp_types::Position::new(1, 0));
        assert!(got[0].message.contains("up.pxy:1: "), "{}", got[0].message);
    }
}
