//! TLS: the block of `listen https`, an upstream's `tls` settings, and the files they name
//! (resolved as `files.rs` says). A missing file is a warning, not an error: certificates are
//! often installed on the target machine after the build. The binary's `--test` and start-up
//! still refuse a missing or bad file, naming it.

use pxy_dsl::ast::{Listen, ListenItem, Setting, Text};

use super::error::{FileKind, Malformed, TlsFix};
use super::{CheckError, Checker};
use crate::catalog::settings::{SettingValue, UpstreamSetting};
use crate::catalog::words::{self, ClientCaMode, ListenProtocol, WordKind};
use crate::typed::{TypedTls, TypedUpstreamTls};

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
    pub(super) fn listener_tls(
        &mut self,
        listen: &Listen,
        protocol: ListenProtocol,
    ) -> Option<Option<TypedTls>> {
        if protocol == ListenProtocol::Http {
            if let Some(item) = listen.tls.iter().find(|i| i.is_tls()) {
                self.problems.push(CheckError::TlsSettingWithoutTls {
                    span: item.span(),
                    fix: TlsFix::ListenHttps,
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
                    let cert = self.file(cert, FileKind::Certificate);
                    let key = self.file(key, FileKind::PrivateKey);
                    tls.certs.push((cert, key));
                }
                ListenItem::Alpn { protocols, .. } => {
                    alpn_seen = true;
                    for id in protocols {
                        match self.word(
                            &id.value,
                            id.span,
                            WordKind::AlpnProtocol,
                            words::ALPN_PROTOCOLS,
                        ) {
                            Some(alpn) => tls.alpn.push(alpn),
                            None => ok = false,
                        }
                    }
                }
                ListenItem::ClientCa { ca, mode, span } => {
                    if let Some((_, _)) = &tls.client_ca {
                        self.problems.push(CheckError::InvalidLiteral {
                            span: *span,
                            reason: Malformed::TwoClientCa,
                        });
                        ok = false;
                        continue;
                    }
                    let Some(mode) = self.word(
                        &mode.name,
                        mode.span,
                        WordKind::ClientCertificateMode,
                        words::CLIENT_CA_MODES,
                    ) else {
                        ok = false;
                        continue;
                    };
                    let required = match mode {
                        ClientCaMode::Required => true,
                        ClientCaMode::Optional => false,
                    };
                    tls.client_ca = Some((self.file(ca, FileKind::Ca), required));
                }
                // How the client's address is learnt: `Checker::client_address`.
                ListenItem::ProxyProtocol { .. } | ListenItem::TrustProxies { .. } => {}
            }
        }
        if !alpn_seen {
            tls.alpn = words::ALPN_PROTOCOLS.iter().map(|w| w.value).collect();
        }
        if tls.certs.is_empty() {
            let head = pxy_dsl::Span::new(listen.span.start, listen.addr.span.end);
            self.problems
                .push(CheckError::MissingCertificate { span: head });
            ok = false;
        }
        ok.then_some(Some(tls))
    }

    /// Reads one of an upstream's TLS lines.
    pub(super) fn upstream_tls_line(
        &mut self,
        setting: &Setting,
        which: UpstreamSetting,
        value: SettingValue,
        lines: &mut UpstreamTlsLines,
    ) {
        let text = SettingValue::into_text;
        let switch = |value: &SettingValue| matches!(value, SettingValue::Switch(true));
        match which {
            UpstreamSetting::Tls => {
                lines.on = Some(switch(&value));
                return;
            }
            UpstreamSetting::TlsVerify => {
                lines.verify = Some(switch(&value));
                if !switch(&value) {
                    lines.verify_off = Some(setting.span);
                }
            }
            UpstreamSetting::TlsSni => lines.sni = text(value),
            UpstreamSetting::TlsCa => {
                lines.ca = text(value).map(|path| {
                    let text = Text {
                        value: path,
                        span: setting.value.span,
                    };
                    self.file(&text, FileKind::Ca)
                });
            }
            UpstreamSetting::ConnectTimeout
            | UpstreamSetting::ReadTimeout
            | UpstreamSetting::WriteTimeout
            | UpstreamSetting::RequestTimeout
            | UpstreamSetting::TryTimeout
            | UpstreamSetting::Retries
            | UpstreamSetting::RetryOn
            | UpstreamSetting::RetryNonIdempotent
            | UpstreamSetting::RetryBudget
            | UpstreamSetting::RetryBudgetMin
            | UpstreamSetting::RetryBodyLimit
            | UpstreamSetting::MaxConnections
            | UpstreamSetting::QueueTimeout
            | UpstreamSetting::MaxIdle
            | UpstreamSetting::IdleTimeout
            | UpstreamSetting::TunnelIdleTimeout
            | UpstreamSetting::GrpcMaxTimeout
            | UpstreamSetting::WhenAllDown
            | UpstreamSetting::Protocol => return,
        }
        lines.first_setting.get_or_insert(setting.span);
    }

    /// The upstream's TLS once all its lines are read.
    pub(super) fn upstream_tls(&mut self, lines: UpstreamTlsLines) -> Option<TypedUpstreamTls> {
        if lines.on != Some(true) {
            if let Some(span) = lines.first_setting {
                self.problems.push(CheckError::TlsSettingWithoutTls {
                    span,
                    fix: TlsFix::UpstreamTlsOn,
                });
            }
            return None;
        }
        if let Some(span) = lines.verify_off {
            self.problems.push(CheckError::TlsVerifyOff { span });
        }
        Some(TypedUpstreamTls {
            sni: lines.sni,
            ca: lines.ca,
            verify: lines.verify.unwrap_or(true),
        })
    }
}
