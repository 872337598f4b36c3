//! Who the client is when the proxy sits behind a load balancer.
//!
//! A listener may declare that a load balancer in front speaks the PROXY protocol (HAProxy's
//! v1 text or v2 binary header, parsed with the `ppp` crate): every connection must then start
//! with one, and its source address is the client's; with trusted proxies declared, only they
//! may connect. A listener may also declare the proxies
//! it trusts: from a trusted peer, the client is the right-most address of `X-Forwarded-For`
//! that is not itself trusted (the left-most if all are), and the header is passed on with the
//! peer appended; from anyone else, the header is a claim nobody vouches for, so it is ignored
//! and the origin gets only the peer's address.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use http::HeaderMap;
use ipnet::IpNet;
use ppp::v2::Command;
use ppp::{HeaderResult, PartialResult};
use tokio::net::TcpStream;

use crate::error::{Error, ErrorKind, Result};
use crate::headers::X_FORWARDED_FOR;

/// How a listener learns the client's address. The default: the TCP peer is the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientAddress {
    /// Every connection starts with a PROXY protocol header (v1 or v2); its source is the
    /// client (a v2 `LOCAL` header, a load balancer's own health check, keeps the peer).
    pub proxy_protocol: bool,
    /// The peers whose `X-Forwarded-For` is believed. Empty: the header is not read for
    /// `client.ip`, and the peer is appended to it, as without this setting.
    pub trusted_proxies: Vec<IpNet>,
}

/// The longest PROXY header read: v1 is at most 107 bytes; v2 carries TLVs, but the load
/// balancers we know send well under this.
const MAX_PROXY_HEADER: usize = 1024;

impl ClientAddress {
    /// Whether `ip` is one of the trusted proxies.
    pub(crate) fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }

    /// Whether `peer` may open a connection with a PROXY protocol header: any peer when the
    /// listener declares no trusted proxies (the network must keep others away), otherwise
    /// only those.
    pub(crate) fn may_send_proxy_header(&self, peer: IpAddr) -> bool {
        self.trusted_proxies.is_empty() || self.trusts(peer)
    }

    /// Whether the origin should get only the peer in `X-Forwarded-For`: the listener declares
    /// trusted proxies and the peer is not one.
    pub(crate) fn replaces_forwarded_for(&self, peer: IpAddr) -> bool {
        !self.trusted_proxies.is_empty() && !self.trusts(peer)
    }

    /// The client of a request from `peer` with `headers`: `peer` unless it is trusted and
    /// `X-Forwarded-For` names someone (all its lines, in order). A trusted client's port is
    /// unknown: 0.
    pub(crate) fn client(&self, peer: SocketAddr, headers: &HeaderMap) -> SocketAddr {
        if self.trusted_proxies.is_empty() || !self.trusts(peer.ip()) {
            return peer;
        }
        let lines: Vec<&str> = headers
            .get_all(X_FORWARDED_FOR)
            .iter()
            .map(|v| v.to_str().unwrap_or(""))
            .collect();
        // From the right: each trusted hop vouches for the one before it. An entry that is
        // not an address was not written by a trusted proxy: reading stops there.
        let mut client = None;
        for hop in lines.iter().rev().flat_map(|line| line.rsplit(',')) {
            let Some(ip) = parse_hop(hop.trim()) else {
                break;
            };
            client = Some(ip);
            if !self.trusts(ip) {
                break;
            }
        }
        client.map_or(peer, |ip| SocketAddr::new(ip, 0))
    }
}

/// One `X-Forwarded-For` entry: an IP, maybe with a port (`1.2.3.4:5678`, `[::1]:80`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .map(canonical)
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

/// Reads the PROXY protocol header a connection starts with, within `timeout`, and returns
/// the client it names (`peer` for a v2 `LOCAL` or an `UNKNOWN` one). Only the header's bytes
/// are consumed: what follows (a TLS handshake, an HTTP request) stays in the socket.
///
/// # Errors
///
/// [`ErrorKind::InvalidRequest`] when the connection does not start with a valid header in
/// time; the caller closes it.
pub(crate) async fn read_proxy_header(
    stream: &mut TcpStream,
    peer: SocketAddr,
    timeout: Duration,
) -> Result<SocketAddr> {
    tokio::time::timeout(timeout, read_header(stream, peer))
        .await
        .unwrap_or_else(|_| {
            Err(Error::explain(
                ErrorKind::InvalidRequest,
                "no PROXY protocol header in time",
            ))
        })
}

async fn read_header(stream: &mut TcpStream, peer: SocketAddr) -> Result<SocketAddr> {
    use tokio::io::AsyncReadExt as _;
    let invalid = |what: &'static str| Error::explain(ErrorKind::InvalidRequest, what);
    let mut buf = [0u8; MAX_PROXY_HEADER];
    loop {
        // Peek, so that bytes after the header are left for TLS or HTTP.
        let seen = stream
            .peek(&mut buf)
            .await
            .map_err(|e| invalid("connection failed before its PROXY header").with_cause(e))?;
        if seen == 0 {
            return Err(invalid("connection closed before its PROXY header"));
        }
        let parsed = HeaderResult::parse(&buf[..seen]);
        if parsed.is_incomplete() {
            if seen == buf.len() {
                return Err(invalid("PROXY header too long"));
            }
            // More is coming; wait for it without spinning.
            stream
                .readable()
                .await
                .map_err(|e| invalid("connection failed before its PROXY header").with_cause(e))?;
            tokio::time::sleep(Duration::from_millis(1)).await;
            continue;
        }
        let (len, client) = match parsed {
            HeaderResult::V1(Ok(h)) => (h.header.len(), v1_client(&h.addresses)),
            HeaderResult::V2(Ok(h)) => (
                h.len(),
                match h.command {
                    Command::Local => None,
                    Command::Proxy => v2_client(&h.addresses),
                },
            ),
            HeaderResult::V1(Err(_)) | HeaderResult::V2(Err(_)) => {
                return Err(invalid("connection does not start with a PROXY header"))
            }
        };
        let mut header = vec![0u8; len];
        stream
            .read_exact(&mut header)
            .await
            .map_err(|e| invalid("connection failed in its PROXY header").with_cause(e))?;
        return Ok(client.unwrap_or(peer));
    }
}

fn v1_client(addresses: &ppp::v1::Addresses) -> Option<SocketAddr> {
    match addresses {
        ppp::v1::Addresses::Tcp4(a) => Some(SocketAddr::from((a.source_address, a.source_port))),
        ppp::v1::Addresses::Tcp6(a) => Some(SocketAddr::from((a.source_address, a.source_port))),
        ppp::v1::Addresses::Unknown => None,
    }
}

fn v2_client(addresses: &ppp::v2::Addresses) -> Option<SocketAddr> {
    match addresses {
        ppp::v2::Addresses::IPv4(a) => Some(SocketAddr::from((a.source_address, a.source_port))),
        ppp::v2::Addresses::IPv6(a) => Some(SocketAddr::from((a.source_address, a.source_port))),
        ppp::v2::Addresses::Unspecified | ppp::v2::Addresses::Unix(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trusting(nets: &[&str]) -> ClientAddress {
        ClientAddress {
            proxy_protocol: false,
            trusted_proxies: nets.iter().map(|n| n.parse().expect("a CIDR")).collect(),
        }
    }

    fn xff(lines: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append(X_FORWARDED_FOR, line.parse().expect("a value"));
        }
        headers
    }

    fn peer(ip: &str) -> SocketAddr {
        SocketAddr::new(ip.parse().expect("an IP"), 4000)
    }

    #[test]
    fn a_trusted_peer_names_the_right_most_untrusted_hop() {
        let cfg = trusting(&["10.0.0.0/8", "127.0.0.1/32"]);
        let headers = xff(&["203.0.113.9, 198.51.100.7", "10.1.2.3"]);
        assert_eq!(
            cfg.client(peer("10.0.0.1"), &headers),
            "198.51.100.7:0".parse().expect("addr")
        );
        // All trusted: the left-most.
        let headers = xff(&["10.9.9.9, 127.0.0.1"]);
        assert_eq!(
            cfg.client(peer("127.0.0.1"), &headers).ip().to_string(),
            "10.9.9.9"
        );
        // Nothing to read: the peer.
        assert_eq!(
            cfg.client(peer("10.0.0.1"), &HeaderMap::new()),
            peer("10.0.0.1")
        );
        // Ports and brackets as some proxies write them.
        let headers = xff(&["[2001:db8::1]:443, 198.51.100.7:5555"]);
        assert_eq!(
            cfg.client(peer("10.0.0.1"), &headers).ip().to_string(),
            "198.51.100.7"
        );
    }

    #[test]
    fn only_trusted_peers_may_send_proxy_headers_once_some_are_declared() {
        let ip = |s: &str| s.parse::<IpAddr>().expect("an address");
        let open = ClientAddress {
            proxy_protocol: true,
            trusted_proxies: Vec::new(),
        };
        assert!(open.may_send_proxy_header(ip("203.0.113.1")));
        let guarded = ClientAddress {
            proxy_protocol: true,
            ..trusting(&["10.0.0.0/8"])
        };
        assert!(guarded.may_send_proxy_header(ip("10.9.9.9")));
        assert!(guarded.may_send_proxy_header(ip("::ffff:10.9.9.9")));
        assert!(!guarded.may_send_proxy_header(ip("203.0.113.1")));
    }

    #[test]
    fn anyone_else_is_the_client_whatever_the_header_says() {
        let cfg = trusting(&["10.0.0.0/8"]);
        let headers = xff(&["1.2.3.4"]);
        assert_eq!(cfg.client(peer("192.0.2.1"), &headers), peer("192.0.2.1"));
        assert!(cfg.replaces_forwarded_for("192.0.2.1".parse().expect("ip")));
        assert!(!cfg.replaces_forwarded_for("10.0.0.2".parse().expect("ip")));
        // Without trusted proxies nothing changes.
        let none = ClientAddress::default();
        assert_eq!(none.client(peer("10.0.0.1"), &headers), peer("10.0.0.1"));
        assert!(!none.replaces_forwarded_for("192.0.2.1".parse().expect("ip")));
    }

    #[test]
    fn a_garbage_hop_ends_what_is_believed() {
        let cfg = trusting(&["10.0.0.0/8"]);
        // Reading from the right stops at an entry that is not an address: what is left of it
        // is nobody's word. The last address read is the client.
        let headers = xff(&["198.51.100.7, not-an-ip, 10.0.0.5"]);
        assert_eq!(
            cfg.client(peer("10.0.0.1"), &headers).ip().to_string(),
            "10.0.0.5"
        );
        let headers = xff(&["198.51.100.7, not-an-ip"]);
        assert_eq!(cfg.client(peer("10.0.0.1"), &headers), peer("10.0.0.1"));
    }
}
