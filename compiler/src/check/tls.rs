//! TLS: the block of `listen https`, an upstream's `tls` settings, and the files they name.
//!
//! Files are looked up at build time through the program's file loader (relative paths are
//! relative to the file that names them, and are stored made absolute so that the binary
//! finds them from any working directory). A missing file is a warning, not an error: certificates are often
//! installed on the target machine after the build. The binary's `--test` and start-up
//! still refuse a missing or bad file, naming it.

use pxy_dsl::ast::{Listen, ListenItem, Setting, Text};

use super::{Checker, Problem};
use crate::typed::{TypedAlpn, TypedTls, TypedUpstreamTls};

const ALPN_IDS: &[&str] = &["h2", "http/1.1"];
const CLIENT_CA_MODES: &[&str] = &["required", "optional"];

/// An upstream's TLS settings while its lines are read.
#[derive(Debug, Default)]
pub(super) struct UpstreamTlsLines {
    on: Option<bool>,
    sni: Option<String>,
    ca: Option<String>,
    verify: Option<bool>,
    /// The first `tls_*` line, reported if TLS stays off.
    first_setting: Option<pxy_dsl::Span>,
    verify_off: Option<pxy_dsl::Span>,
}

impl Checker<'_> {
    /// The TLS settings of `listen`: `Some(None)` for a cleartext listener, `None` after an
    /// error.
    pub(super) fn listener_tls(&mut self, listen: &Listen) -> Option<Option<TypedTls>> {
        if listen.protocol.name != "https" {
            if let Some(item) = listen.tls.first() {
                self.problems.push(Problem::TlsSettingWithoutTls {
                    span: item.span(),
                    fix: "write `listen https` to terminate TLS on this listener",
                });
                return None;
            }
            return Some(None);
        }
        let mut tls = TypedTls {
            certs: Vec::new(),
            alpn: Vec::new(),
            client_ca: None,
        };
        let mut ok = true;
        let mut alpn_seen = false;
        for item in &listen.tls {
            match item {
                ListenItem::Cert { cert, key, .. } => {
                    let cert = self.file(cert, "certificate");
                    let key = self.file(key, "private key");
                    tls.certs.push((cert, key));
                }
                ListenItem::Alpn { protocols, .. } => {
                    alpn_seen = true;
                    for id in protocols {
                        if !self.option(&id.value, id.span, "protocol for ALPN", ALPN_IDS) {
                            ok = false;
                            continue;
                        }
                        tls.alpn.push(match id.value.as_str() {
                            "h2" => TypedAlpn::H2,
                            _ => TypedAlpn::Http11,
                        });
                    }
                }
                ListenItem::ClientCa { ca, mode, span } => {
                    if let Some((_, _)) = &tls.client_ca {
                        self.problems.push(Problem::InvalidLiteral {
                            span: *span,
                            what: "listener",
                            reason: "one `client_ca` per listener; put every CA in one file".into(),
                        });
                        ok = false;
                        continue;
                    }
                    if !self.option(
                        &mode.name,
                        mode.span,
                        "client certificate mode",
                        CLIENT_CA_MODES,
                    ) {
                        ok = false;
                        continue;
                    }
                    let required = mode.name == "required";
                    tls.client_ca = Some((self.file(ca, "CA"), required));
                }
            }
        }
        if !alpn_seen {
            tls.alpn = vec![TypedAlpn::H2, TypedAlpn::Http11];
        }
        if tls.certs.is_empty() {
            let head = pxy_dsl::Span::new(listen.span.start, listen.addr.span.end);
            self.problems
                .push(Problem::MissingCertificate { span: head });
            ok = false;
        }
        ok.then_some(Some(tls))
    }

    /// Reads one of an upstream's TLS lines; `false` when `setting` is not one.
    pub(super) fn upstream_tls_line(
        &mut self,
        setting: &Setting,
        value: u64,
        lines: &mut UpstreamTlsLines,
    ) -> bool {
        let name = setting.name.name.as_str();
        if name.starts_with("tls_") {
            lines.first_setting.get_or_insert(setting.span);
        }
        match name {
            "tls" => lines.on = Some(value == 1),
            "tls_verify" => {
                lines.verify = Some(value == 1);
                if value == 0 {
                    lines.verify_off = Some(setting.span);
                }
            }
            "tls_sni" => lines.sni = plain_text(setting),
            "tls_ca" => {
                lines.ca = plain_text(setting).map(|path| {
                    let text = Text {
                        value: path,
                        span: setting.value.span,
                    };
                    self.file(&text, "CA")
                });
            }
            _ => return false,
        }
        true
    }

    /// The upstream's TLS once all its lines are read.
    pub(super) fn upstream_tls(&mut self, lines: UpstreamTlsLines) -> Option<TypedUpstreamTls> {
        if lines.on != Some(true) {
            if let Some(span) = lines.first_setting {
                self.problems.push(Problem::TlsSettingWithoutTls {
                    span,
                    fix: "add `tls on` to the upstream to speak TLS to its servers",
                });
            }
            return None;
        }
        if let Some(span) = lines.verify_off {
            self.problems.push(Problem::TlsVerifyOff { span });
        }
        Some(TypedUpstreamTls {
            sni: lines.sni,
            ca: lines.ca,
            verify: lines.verify.unwrap_or(true),
        })
    }

    /// The path the runtime will open for `path` (relative to the directory of the file
    /// that names it), warning when no file is there.
    fn file(&mut self, path: &Text, what: &'static str) -> String {
        let named_in = std::path::Path::new(&self.sources.file_of(path.span).path);
        let full = named_in
            .parent()
            .unwrap_or(std::path::Path::new(""))
            .join(&path.value);
        if self.files.exists(&full) == Some(false) {
            self.problems.push(Problem::MissingFile {
                span: path.span,
                what,
                path: full.display().to_string(),
            });
        }
        self.files
            .runtime_path(&full)
            .to_string_lossy()
            .into_owned()
    }
}

/// The text of a string setting without interpolation (the checker already required one).
fn plain_text(setting: &Setting) -> Option<String> {
    match &setting.value.kind {
        pxy_dsl::ast::ExprKind::Str(parts) => {
            let mut out = String::new();
            for part in parts {
                match part {
                    pxy_dsl::ast::StrPart::Text(t) => out.push_str(t),
                    pxy_dsl::ast::StrPart::Interp(_) => return None,
                }
            }
            Some(out)
        }
        _ => None,
    }
}
