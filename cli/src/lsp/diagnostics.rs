//! Diagnostics for a document: `pxy_compiler::driver::check_source` worded by
//! `pxy_compiler::diagnostic::describe`, as LSP diagnostics with the same code, severity,
//! message and help as `proxyc check`, the primary label's range, and the other labels as
//! related information.

use lsp_types::{
    Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Uri,
};
use pxy_compiler::diagnostic::describe;
use pxy_compiler::driver::check_source;
use pxy_dsl::Span;

use super::documents;

/// Every problem in `source`, in source order; empty when there is none.
pub fn diagnostics(uri: &Uri, source: &str) -> Vec<Diagnostic> {
    check_source(source)
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
                    location: Location::new(uri.clone(), documents::range(source, l.span)),
                    message: l.text.clone(),
                })
                .collect();
            let message = match &d.help {
                Some(help) => format!("{}\nhelp: {help}", d.message),
                None => d.message,
            };
            Diagnostic {
                range: documents::range(source, primary),
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
}
