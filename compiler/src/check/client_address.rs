//! Who the client is: a listener's `proxy_protocol` and `trust_proxies`, and the warnings
//! about programs that would believe an address anyone can claim: one that reads
//! `X-Forwarded-For` itself, or one whose `client.ip` comes from PROXY headers any peer may send.

use pxy_dsl::ast::{Listen, ListenItem};
use pxy_dsl::Span;

use super::error::DuplicateKind;
use super::{CheckError, Checker};
use crate::catalog::headers::CLIENT_ADDRESS_HEADERS;
use crate::catalog::words::Phase;
use crate::typed::{TypedClientAddress, TypedExprKind};

impl Checker<'_> {
    /// `proxy_protocol` and `trust_proxies` of a listener (each at most once).
    pub(super) fn client_address(&mut self, listen: &Listen) -> Option<TypedClientAddress> {
        let mut out = TypedClientAddress::default();
        let mut ok = true;
        let mut seen: Vec<(&str, pxy_dsl::Span)> = Vec::new();
        for item in &listen.tls {
            let (word, span) = match item {
                ListenItem::ProxyProtocol { span } => {
                    out.proxy_protocol = true;
                    ("proxy_protocol", *span)
                }
                ListenItem::TrustProxies { addrs, span } => {
                    for addr in addrs {
                        match self.expr(addr).map(|e| e.kind) {
                            Some(TypedExprKind::Cidr(net, bits)) => out.trusted.push((net, bits)),
                            Some(TypedExprKind::Ip(ip)) => {
                                out.trusted.push((ip, if ip.is_ipv4() { 32 } else { 128 }))
                            }
                            // The grammar allows only CIDR and IP literals; a bad one is reported.
                            _ => ok = false,
                        }
                    }
                    ("trust_proxies", *span)
                }
                ListenItem::Cert { .. } | ListenItem::Alpn { .. } | ListenItem::ClientCa { .. } => {
                    continue
                }
            };
            if let Some((_, first)) = seen.iter().find(|(w, _)| *w == word) {
                self.problems.push(CheckError::Duplicate {
                    span,
                    first: *first,
                    what: DuplicateKind::ListenerLine,
                    name: word.to_string(),
                });
                ok = false;
            }
            seen.push((word, span));
        }
        if out.proxy_protocol && out.trusted.is_empty() {
            if let Some((_, span)) = seen.iter().find(|(w, _)| *w == "proxy_protocol") {
                self.untrusted_proxy_protocol.push(*span);
            }
        }
        ok.then_some(out)
    }

    /// Notes a read of a request header, warning when it is one where a client names itself.
    /// `on log` may record such a header: only decisions are warned about.
    pub(super) fn read_request_header(&mut self, name: &str, span: Span) {
        if self.phase != Phase::Log && CLIENT_ADDRESS_HEADERS.contains(&name) {
            self.problems.push(CheckError::ClientAddressHeaderRead {
                span,
                name: name.to_string(),
            });
        }
    }

    /// Notes a read of `client.ip` outside `on log`: the first one is shown by the warning
    /// about a PROXY protocol listener nobody is trusted on.
    pub(super) fn read_client_ip(&mut self, span: Span) {
        if self.phase != Phase::Log {
            self.client_ip_rule.get_or_insert(span);
        }
    }

    /// Warns, once per listener, when `client.ip` decides something and comes from a PROXY
    /// header that any peer reaching the listener may send.
    pub(super) fn untrusted_client_address(&mut self) {
        let Some(rule) = self.client_ip_rule else {
            return;
        };
        for span in std::mem::take(&mut self.untrusted_proxy_protocol) {
            self.problems
                .push(CheckError::UntrustedProxyProtocol { span, rule });
        }
    }
}
