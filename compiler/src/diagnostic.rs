//! The one place where problems become words: each [`Problem`] turns into a [`Diagnostic`] with a
//! stable code, a message, labelled spans and help, which renders for a terminal (miette) or as
//! LSP-shaped JSON for tools.

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource, Severity,
};
use pxy_dsl::{ParseErrorKind, Span};
use serde::Serialize;

use crate::check::Problem;
use crate::sources::{SourceFile, SourceMap};

/// A problem ready to show: code, words and places.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// Stable code, `E0101`; `proxyc explain CODE` says more.
    pub code: &'static str,
    /// Whether it stops the build.
    pub is_warning: bool,
    /// One sentence.
    pub message: String,
    /// The primary place first, then related places.
    pub labels: Vec<Label>,
    /// How to fix it, when there is a clear fix.
    pub help: Option<String>,
}

/// A labelled place in the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What is there.
    pub text: String,
}

/// The span a problem is about, if it has one (used to sort problems in source order).
pub fn primary_span(problem: &Problem) -> Option<Span> {
    describe(problem).labels.first().map(|l| l.span)
}

fn label(span: Span, text: impl Into<String>) -> Label {
    Label {
        span,
        text: text.into(),
    }
}

fn did_you_mean(suggestion: &Option<String>) -> Option<String> {
    suggestion.as_ref().map(|s| format!("did you mean `{s}`?"))
}

/// Words for a problem.
pub fn describe(problem: &Problem) -> Diagnostic {
    let (code, message, labels, help): (&'static str, String, Vec<Label>, Option<String>) = match problem {
        Problem::Syntax(e) => syntax(e),
        Problem::UnknownUpstream { span, name, suggestion } => (
            "E0101",
            format!("no upstream named `{name}`"),
            vec![label(*span, "not declared")],
            did_you_mean(suggestion).or_else(|| Some(format!("declare it: `upstream {name} {{ server 127.0.0.1:9000 }}`"))),
        ),
        Problem::UnknownName { span, name, suggestion } => (
            "E0102",
            format!("`{name}` is not defined here"),
            vec![label(*span, "unknown name")],
            did_you_mean(suggestion).or_else(|| Some("names come from `let NAME = ...` earlier in the same block or an enclosing one".into())),
        ),
        Problem::UnknownField { span, path, suggestion } => (
            "E0103",
            format!("`{path}` is not a field"),
            vec![label(*span, "unknown field")],
            did_you_mean(suggestion),
        ),
        Problem::UnknownFunction { span, name, suggestion } => (
            "E0104",
            format!("no function named `{name}`"),
            vec![label(*span, "unknown function")],
            did_you_mean(suggestion).or_else(|| Some("see the function list in docs/language.md".into())),
        ),
        Problem::UnknownOption { span, what, name, choices, suggestion } => (
            "E0105",
            format!("unknown {what} `{name}`"),
            vec![label(*span, format!("not {}", with_article(what)))],
            did_you_mean(suggestion).or_else(|| Some(format!("expected one of: {}", choices.join(", ")))),
        ),
        Problem::Duplicate { span, first, what, name } => (
            "E0106",
            format!("{what} `{name}` is defined twice"),
            vec![label(*span, "defined again here"), label(*first, "first defined here")],
            Some(format!("each {what} must be unique; remove or rename one")),
        ),
        Problem::TypeMismatch { span, expected, found } => (
            "E0201",
            format!("expected {expected}, found {found}"),
            vec![label(*span, format!("this is {}", article(found)))],
            match (expected.as_str(), found) {
                (e, crate::types::Type::Int) if e.starts_with("duration") => Some("numbers need a unit here, like `5s` or `250ms`".into()),
                ("method", crate::types::Type::Str) => Some("write the method bare: `GET`, not `\"GET\"`".into()),
                _ => None,
            },
        ),
        Problem::OptionalUsed { span, ty } => (
            "E0202",
            format!("this value may be absent (it is `{ty}`), but a `{}` is needed", ty.unwrapped()),
            vec![label(*span, "may be absent")],
            Some("give a default with `?? \"...\"`, or test it first with `if present(...) { ... }`".into()),
        ),
        Problem::Arity { span, name, expected, given } => (
            "E0203",
            format!("`{name}` takes {expected} argument{}, but {given} {} given", plural(*expected), if *given == 1 { "was" } else { "were" }),
            vec![label(*span, format!("{given} argument{}", plural(*given)))],
            None,
        ),
        Problem::KeyNotLiteral { span } => (
            "E0204",
            "a header name must be a string literal".into(),
            vec![label(*span, "not a literal")],
            Some("write the name in quotes, like `req.headers[\"x-request-id\"]`; names are checked and built once, at compile time".into()),
        ),
        Problem::IncludeUnreadable { span, path, reason } => (
            "E0310",
            format!("cannot read included file `{path}`"),
            vec![label(*span, reason.clone())],
            Some("include paths are relative to the directory of the file that includes them".into()),
        ),
        Problem::IncludeCycle { span, chain } => (
            "E0505",
            "these files include each other".into(),
            vec![label(*span, "this include closes the cycle")],
            Some(format!("{}; remove one of these includes", chain.join(" includes "))),
        ),
        Problem::DuplicateInclude { span, first, path } => (
            "W0609",
            format!("`{path}` is already included"),
            vec![label(*span, "included again here, skipped"), label(*first, "first included here")],
            Some("a file's items are included once; remove this include".into()),
        ),
        Problem::LogFieldNotLiteral { span } => (
            "E0204",
            "a log field name must be a string literal".into(),
            vec![label(*span, "not a literal")],
            Some("write the name in quotes, like `log[\"user\"]`; names are checked at compile time".into()),
        ),
        Problem::InvalidLogField { span, name, reason } => (
            "E0309",
            format!("`{}` cannot be a log field name", name.escape_debug()),
            vec![label(*span, *reason)],
            Some(if crate::check::ACCESS_LOG_FIELDS.contains(&name.as_str()) {
                format!("the access log line already has {}; choose another name", crate::check::ACCESS_LOG_FIELDS.join(", "))
            } else {
                "use a simple name, like `user` or `tenant.id`".into()
            }),
        ),
        Problem::InvalidRegex { span, reason } => (
            "E0301",
            "invalid regex".into(),
            vec![label(*span, reason.clone())],
            None,
        ),
        Problem::InvalidHeaderName { span, name } => (
            "E0302",
            format!("`{}` is not a valid header name", name.escape_debug()),
            vec![label(*span, "invalid header name")],
            Some("header names are letters, digits and !#$%&'*+-.^_`|~ (RFC 9110 tokens), with no spaces or colons".into()),
        ),
        Problem::InvalidHeaderValue { span } => (
            "E0303",
            "header value contains a control character".into(),
            vec![label(*span, "CR, LF and other control characters are not allowed in header values")],
            Some("a line break would split the header and let a response be forged; remove it".into()),
        ),
        Problem::InvalidStatus { span, value, allowed } => (
            "E0304",
            format!("{value} is not a valid status here"),
            vec![label(*span, format!("expected {allowed}"))],
            None,
        ),
        Problem::InvalidLiteral { span, what, reason } => (
            "E0305",
            format!("invalid {what}"),
            vec![label(*span, reason.clone())],
            None,
        ),
        Problem::FieldNotInPhase { span, field, phase, available } => (
            "E0401",
            format!("`{field}` is not available in {phase}"),
            vec![label(*span, format!("only in {available}"))],
            Some("the response does not exist before the upstream answers; move this to `on response`".to_string())
                .filter(|_| field.contains("resp") && *phase != "on log")
                .or_else(|| Some(format!("move this to {available}"))),
        ),
        Problem::NotWritable { span, place, hint } => (
            "E0402",
            format!("`{place}` cannot be assigned"),
            vec![label(*span, "not writable")],
            hint.map(|h| format!("use `{h}`")).or_else(|| Some("`set`, `add` and `remove` work on `req.headers[\"...\"]` and `resp.headers[\"...\"]`".into())),
        ),
        Problem::StatementNotAllowed { span, stmt, section } => (
            "E0403",
            format!("`{stmt}` is not allowed in {section}"),
            vec![label(*span, format!("not allowed in {section}"))],
            Some(match (*stmt, *section) {
                ("proxy", _) => "`proxy` belongs in a `route`".into(),
                ("set log[...]", _) => "log fields are set in `on log`, which runs once per request after the response is sent".into(),
                (_, "on log") => "`on log` runs after the response was sent: it can only add access log fields with `set log[\"name\"] = ...`; change headers in `on request` or `on response`".into(),
                (_, "on error") => "`on error` builds the error page with `respond` or `redirect`; change its headers in `on response`, which runs on error pages too".into(),
                (_, "on response") => "the response has already been chosen in `on response`; answer from a route or `on request`".into(),
                _ => "paths can only be changed before routing and proxying: in `on request` or a route".into(),
            }),
        ),
        Problem::MissingTerminal { span, end } => (
            "E0501",
            "this route can finish without answering".into(),
            vec![label(*span, "this route"), label(*end, "the request falls through here")],
            Some("end every path with `proxy NAME`, `respond STATUS` or `redirect LOCATION`".into()),
        ),
        Problem::EmptyUpstream { span, name } => (
            "E0502",
            format!("upstream `{name}` has no servers"),
            vec![label(*span, "no `server` inside")],
            Some("add one: `server 127.0.0.1:9000`".into()),
        ),
        Problem::ZeroWeight { span } => (
            "E0503",
            "a server's weight must be at least 1".into(),
            vec![label(*span, "weight 0 would never be chosen")],
            Some("remove the server instead, or give it `weight 1`".into()),
        ),
        Problem::NoListener => (
            "E0504",
            "the program has no `listen`".into(),
            Vec::new(),
            Some("add one: `listen http 0.0.0.0:8080`".into()),
        ),
        Problem::MissingCertificate { span } => (
            "E0506",
            "a TLS listener needs a certificate".into(),
            vec![label(*span, "no `cert` line")],
            Some("add one inside the listener: `{ cert \"site.pem\" key \"site.key\" }`".into()),
        ),
        Problem::TlsSettingWithoutTls { span, fix } => (
            "E0507",
            "TLS setting where TLS is off".into(),
            vec![label(*span, "has no effect without TLS")],
            Some((*fix).into()),
        ),
        Problem::MissingFile { span, what, path } => (
            "W0610",
            format!("{what} file not found"),
            vec![label(*span, format!("no file at {path}"))],
            Some("relative paths are relative to the .pxy file's directory; the proxy will refuse to start (and `--test` will fail) until the file exists".into()),
        ),
        Problem::TlsVerifyOff { span } => (
            "W0611",
            "the upstream's certificates are not verified".into(),
            vec![label(*span, "any certificate is accepted")],
            Some("anyone on the path can impersonate the origin; give its CA with `tls_ca \"ca.pem\"` instead".into()),
        ),
        Problem::CaptureOutOfRange { span, group, available, names } => (
            "E0307",
            format!("the regex has no capture group {group}"),
            vec![label(*span, format!("the regex has {available} group{}", plural(*available)))],
            Some(if names.is_empty() {
                format!("use a number from 0 (the whole match) to {available}")
            } else {
                format!("use a number from 0 to {available}, or a name: {}", names.join(", "))
            }),
        ),
        Problem::CapturesNeedOneMatch { span } => (
            "E0308",
            "`as` needs exactly one `matches` that holds whenever the condition does".into(),
            vec![label(*span, "no single `matches` here")],
            Some("write one `matches` at the top of the condition or joined with `&&` (not under `||` or `!`)".into()),
        ),
        Problem::HopByHopWrite { span, name } => (
            "E0306",
            format!("`{name}` is managed by the proxy and cannot be set"),
            vec![label(*span, "connection or framing header")],
            Some("hop-by-hop and framing headers (Connection, Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade, Content-Length) belong to one connection; the proxy removes and recomputes them".into()),
        ),
        Problem::ConstantComparison { span, value } => (
            "W0604",
            format!("this comparison is always {value}"),
            vec![label(*span, "both sides are literals")],
            Some("compare a field of the request with a literal, or remove the condition".into()),
        ),
        Problem::UnusedLet { span, name } => (
            "W0605",
            format!("`{name}` is never used"),
            vec![label(*span, "bound here")],
            Some(format!("remove it, or name it `_{name}` if it is kept on purpose")),
        ),
        Problem::NoFallbackRoute { span } => (
            "W0606",
            "no route matches every request".into(),
            vec![label(*span, "the last route")],
            Some("requests that match no route get the built-in `404 no route`; end with `route { respond 404 \"...\" }` to choose the answer".into()),
        ),
        Problem::OverlappingRoutes { span, earlier, example } => (
            "W0607",
            "these routes overlap, and their order decides".into(),
            vec![label(*span, format!("matches requests like {example}")), label(*earlier, "but this earlier route takes them")],
            Some("make the routes disjoint (add a matcher), or put the narrower one first if that is what you mean".into()),
        ),
        Problem::RetriesNeverRun { span, needed_ms, total_ms } => (
            "W0608",
            "retries cannot all run within `request_timeout`".into(),
            vec![label(*span, format!("{total_ms} ms in all, but the tries may take {needed_ms} ms"))],
            Some("connect_timeout × (retries + 1) must fit in request_timeout: lower retries or connect_timeout, or raise request_timeout".into()),
        ),
        Problem::UnreachableRoute { span, shadowed_by } => (
            "W0601",
            "this route can never match".into(),
            vec![label(*span, "unreachable"), label(*shadowed_by, "every request it would match is taken here first")],
            Some("routes are tried in order; move the narrower route above the wider one".into()),
        ),
        Problem::UnreachableStatement { span, after } => (
            "W0602",
            "this statement never runs".into(),
            vec![label(*span, "unreachable"), label(*after, "the request is answered here")],
            Some("remove it, or move it before the answer".into()),
        ),
        Problem::UnusedUpstream { span, name } => (
            "W0603",
            format!("upstream `{name}` is never used"),
            vec![label(*span, "no `proxy` refers to it")],
            Some(format!("use it with `proxy {name}` in a route, or remove it")),
        ),
    };
    Diagnostic {
        code,
        is_warning: problem.is_warning(),
        message,
        labels,
        help,
    }
}

fn syntax(e: &pxy_dsl::ParseError) -> (&'static str, String, Vec<Label>, Option<String>) {
    let (message, text, help) = match &e.kind {
        ParseErrorKind::Unexpected { expected, found } => {
            let what = match expected.as_slice() {
                [] => "something else".to_string(),
                [one] => (*one).to_string(),
                [init @ .., last] if init.len() < 6 => format!("{} or {last}", init.join(", ")),
                _ => "a statement, declaration or expression".to_string(),
            };
            let found = if found.is_empty() {
                "end of file".to_string()
            } else {
                format!("`{found}`")
            };
            (
                format!("expected {what}, found {found}"),
                format!("expected {what}"),
                None,
            )
        }
        ParseErrorKind::IntTooLarge => (
            "number too large".into(),
            "does not fit in 64 bits".into(),
            None,
        ),
        ParseErrorKind::TooDeep => (
            "nested too deeply".into(),
            format!(
                "more than {} levels of brackets or {} operators in one expression",
                pxy_dsl::parser::MAX_NESTING,
                pxy_dsl::parser::MAX_OPERATORS
            ),
            Some("split it with `let` bindings or separate statements".to_string()),
        ),
        ParseErrorKind::InterpolationNotAllowed => (
            "interpolation is not allowed here".into(),
            "must be known at compile time".into(),
            Some(
                "route matchers and header names are fixed text; write `{{` for a literal brace"
                    .to_string(),
            ),
        ),
    };
    ("E0001", message, vec![label(e.span, text)], help)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn article(ty: &crate::types::Type) -> String {
    with_article(&ty.to_string())
}

fn with_article(noun: &str) -> String {
    if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {noun}")
    } else {
        format!("a {noun}")
    }
}

/// Renders diagnostics for a terminal, with source excerpts. `color` picks ANSI colours.
/// Each diagnostic shows the file of its primary label; labels in other files (an upstream
/// defined in an included file too) follow as notes with their own file and excerpt.
pub fn render(diagnostics: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    for d in diagnostics {
        let file = primary_file(d, sources);
        let (here, elsewhere): (Vec<&Label>, Vec<&Label>) = d
            .labels
            .iter()
            .partition(|l| sources.file_of(l.span).base == file.base);
        let mut m = MietteDiagnostic::new(d.message.clone())
            .with_code(d.code)
            .with_severity(if d.is_warning {
                Severity::Warning
            } else {
                Severity::Error
            });
        if let Some(help) = &d.help {
            m = m.with_help(help.clone());
        }
        render_one(&handler, &mut out, m, &here, file);
        for l in elsewhere {
            let note = MietteDiagnostic::new(l.text.clone()).with_severity(Severity::Advice);
            render_one(&handler, &mut out, note, &[l], sources.file_of(l.span));
        }
    }
    out
}

/// The file a diagnostic is about: its primary label's, or the main file.
fn primary_file<'a>(d: &Diagnostic, sources: &'a SourceMap) -> &'a SourceFile {
    d.labels
        .first()
        .map_or(sources.main(), |l| sources.file_of(l.span))
}

fn render_one(
    handler: &GraphicalReportHandler,
    out: &mut String,
    m: MietteDiagnostic,
    labels: &[&Label],
    file: &SourceFile,
) {
    let labels = labels.iter().enumerate().map(|(i, l)| {
        let span = file.local(l.span);
        let span = (span.start, span.len());
        if i == 0 {
            LabeledSpan::new_primary_with_span(Some(l.text.clone()), span)
        } else {
            LabeledSpan::new_with_span(Some(l.text.clone()), span)
        }
    });
    let report = miette::Report::new(m.with_labels(labels))
        .with_source_code(NamedSource::new(&file.path, file.text.clone()));
    // Writing into a String cannot fail.
    let _ = handler.render_report(out, report.as_ref());
    out.push('\n');
}

/// A position as the Language Server Protocol counts it: 0-based line, UTF-16 code units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Position {
    /// 0-based line.
    pub line: u32,
    /// 0-based column in UTF-16 code units.
    pub character: u32,
}

/// A range in LSP terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Range {
    /// Inclusive start.
    pub start: Position,
    /// Exclusive end.
    pub end: Position,
}

/// The LSP position of a byte offset in `source`.
pub fn position(source: &str, offset: usize) -> Position {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    Position {
        line: before.matches('\n').count() as u32,
        character: source[line_start..offset].encode_utf16().count() as u32,
    }
}

/// The LSP range of a span.
pub fn range(source: &str, span: Span) -> Range {
    Range {
        start: position(source, span.start),
        end: position(source, span.end),
    }
}

/// Diagnostics as LSP `Diagnostic` objects plus `file`, the path of the file the primary range
/// is in (related locations carry their own file as `uri`), one JSON array.
pub fn to_json(diagnostics: &[Diagnostic], sources: &SourceMap) -> serde_json::Value {
    let located = |span: Span| {
        let file = sources.file_of(span);
        (file.path.as_str(), range(&file.text, file.local(span)))
    };
    serde_json::Value::Array(
        diagnostics
            .iter()
            .map(|d| {
                let (path, primary) = match d.labels.first() {
                    Some(l) => located(l.span),
                    None => (sources.main().path.as_str(), range("", Span::new(0, 0))),
                };
                let related: Vec<_> = d.labels.iter().skip(1).map(|l| {
                    let (uri, range) = located(l.span);
                    serde_json::json!({ "location": { "uri": uri, "range": range }, "message": l.text })
                }).collect();
                let mut message = d.message.clone();
                if let Some(help) = &d.help {
                    message.push_str("\nhelp: ");
                    message.push_str(help);
                }
                serde_json::json!({
                    "file": path,
                    "range": primary,
                    "severity": if d.is_warning { 2 } else { 1 },
                    "code": d.code,
                    "source": "proxyc",
                    "message": message,
                    "relatedInformation": related,
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units() {
        let src = "# é😀\nroute";
        assert_eq!(
            position(src, src.find("route").unwrap()),
            Position {
                line: 1,
                character: 0
            }
        );
        // '#', ' ', 'é' (1 unit), '😀' (2 units) = 5 units before the newline.
        assert_eq!(
            position(src, src.find('\n').unwrap()),
            Position {
                line: 0,
                character: 5
            }
        );
    }
}
