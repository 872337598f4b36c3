//! The request of a `test` block: `send METHOD "URL" [times N] { ... }`, with its headers,
//! client, body, credentials (`user`, a `jwt` signed when the test runs) and TLS facts. A
//! request that no route's matchers accept is only warned about: `on request` may answer it.

use std::collections::HashMap;
use std::net::IpAddr;

use base64::prelude::{Engine, BASE64_STANDARD};
use pxy_dsl::ast::{SendPart, TestSend, TestToken, TokenPart};
use pxy_dsl::Span;

use super::error::{FileKind, Malformed, TestProblem};
use super::{CheckError, Checker};
use crate::catalog::words::{WordKind, TEST_TOKEN_ALGORITHMS};
use crate::routing::RequestShape;
use crate::typed::{
    TypedProgram, TypedTestMessage, TypedTestRequest, TypedTestTls, TypedTestToken,
};

/// The client address of a test that does not give one: TEST-NET-1 (RFC 5737), an address
/// no real client has.
const DEFAULT_CLIENT: &str = "192.0.2.1";

/// The most times a test may send its request (`times N`).
const MAX_TIMES: usize = 1000;

/// How long a test's token is valid when it says neither `expires` nor `expired`.
const DEFAULT_TOKEN_LIFE_SECS: i64 = 300;

impl Checker<'_> {
    /// `send METHOD "URL" { ... }`; warns when no route takes the request.
    pub(super) fn test_request(
        &mut self,
        send: &TestSend,
        program: &TypedProgram,
    ) -> Option<TypedTestRequest> {
        let url = send.url.value.parse::<http::Uri>().ok();
        let (scheme, authority) = match &url {
            Some(uri) => (uri.scheme_str(), uri.authority()),
            None => (None, None),
        };
        let (Some(scheme), Some(authority)) = (scheme, authority) else {
            self.test_problem(send.url.span, TestProblem::UrlNotAbsolute);
            return None;
        };
        let https = match scheme {
            "http" => false,
            "https" => true,
            other => {
                let scheme = other.to_string();
                self.test_problem(send.url.span, TestProblem::UrlScheme { scheme });
                return None;
            }
        };
        if https && program.listeners.iter().all(|l| l.tls.is_none()) {
            self.test_problem(send.url.span, TestProblem::NoHttpsListener);
            return None;
        }
        let host = authority.as_str().to_string();
        let path = url
            .as_ref()
            .and_then(http::Uri::path_and_query)
            .map_or_else(|| "/".to_string(), |p| p.as_str().to_string());
        let mut ok = true;
        let mut headers = Vec::new();
        let mut body = String::new();
        let mut client = DEFAULT_CLIENT.to_string();
        let mut sni = None;
        let mut certificate = None;
        let mut token: Option<TypedTestToken> = None;
        // The first `user` and `jwt` line, for "written twice".
        let mut credentials: HashMap<String, Span> = HashMap::new();
        let mut authorization_seen = false;
        let times = match send.times {
            None => 1,
            Some(times) => match usize::try_from(times.value) {
                Ok(n) if (1..=MAX_TIMES).contains(&n) => n,
                _ => {
                    ok = self.test_problem(times.span, TestProblem::Times);
                    1
                }
            },
        };
        for part in &send.parts {
            let once = match part {
                SendPart::User { .. } => Some("user"),
                SendPart::Token(_) => Some("jwt"),
                SendPart::Header(_)
                | SendPart::Client(_)
                | SendPart::Body(_)
                | SendPart::Sni(_)
                | SendPart::Certificate { .. } => None,
            };
            if let Some(once) = once {
                if !self.test_line_once(&mut credentials, once.to_string(), part.span()) {
                    ok = false;
                    continue;
                }
            }
            if writes_authorization(part) {
                if authorization_seen {
                    ok = self.test_problem(part.span(), TestProblem::TwoAuthorizations);
                }
                authorization_seen = true;
            }
            match part {
                SendPart::Header(h) => match self.test_header(h) {
                    Some(header) => headers.push(header),
                    None => ok = false,
                },
                SendPart::Client(ip) => {
                    let bare = ip.value.trim_start_matches('[').trim_end_matches(']');
                    match bare.parse::<IpAddr>() {
                        Ok(addr) => client = addr.to_string(),
                        Err(_) => {
                            self.problems.push(CheckError::InvalidLiteral {
                                span: ip.span,
                                reason: Malformed::Ip,
                            });
                            ok = false;
                        }
                    }
                }
                SendPart::Body(text) => body.clone_from(&text.value),
                SendPart::User { user, password, .. } => {
                    let pair = format!("{}:{}", user.value, password.value);
                    let value = format!("Basic {}", BASE64_STANDARD.encode(pair));
                    headers.push(("authorization".to_string(), value));
                }
                SendPart::Token(written) => match self.test_token(written) {
                    Some(typed) => token = Some(typed),
                    None => ok = false,
                },
                SendPart::Sni(name) if https => sni = Some(name.value.clone()),
                SendPart::Certificate { cert, key, .. } if https => {
                    let cert = self.file(cert, FileKind::Certificate);
                    let key = self.file(key, FileKind::PrivateKey);
                    certificate = Some((cert, key));
                }
                SendPart::Sni(_) | SendPart::Certificate { .. } => {
                    ok = self.test_problem(part.span(), TestProblem::TlsWithoutHttps);
                }
            }
        }
        let host_header = headers
            .iter()
            .find(|(n, _)| n == "host")
            .map_or(host.as_str(), |(_, v)| v.as_str());
        let shape = RequestShape {
            host: Some(without_port(host_header)),
            path: path.split('?').next().unwrap_or("/"),
            method: &send.method.name,
            headers: &headers,
        };
        let reaches_a_route = program
            .routes
            .iter()
            .any(|route| crate::routing::takes(route, program, &shape));
        if !reaches_a_route {
            self.problems
                .push(CheckError::TestMatchesNoRoute { span: send.span });
        }
        ok.then(|| TypedTestRequest {
            method: send.method.name.clone(),
            path,
            host,
            message: TypedTestMessage {
                status: 0,
                headers,
                body,
            },
            client,
            tls: https.then(|| TypedTestTls {
                sni: sni.unwrap_or_else(|| authority.host().to_string()),
                certificate,
            }),
            times,
            token,
        })
    }

    /// `jwt ALG "KEY" [cookie "NAME"] { kid ... claim ... expires ... }`
    fn test_token(&mut self, token: &TestToken) -> Option<TypedTestToken> {
        let alg = self.word(
            &token.alg.name,
            token.alg.span,
            WordKind::TestTokenAlgorithm,
            TEST_TOKEN_ALGORITHMS,
        );
        let key = self.file(&token.key, FileKind::SigningKey);
        let mut ok = true;
        let mut kid = None;
        let mut claims: Vec<(String, String)> = Vec::new();
        let mut expires_in = DEFAULT_TOKEN_LIFE_SECS;
        let mut seen: HashMap<String, Span> = HashMap::new();
        for part in &token.parts {
            let once = match part {
                TokenPart::Kid(_) => "kid".to_string(),
                TokenPart::Claim { name, .. } => format!("claim {:?}", name.value),
                TokenPart::Expires(_) | TokenPart::Expired(_) => "expires".to_string(),
            };
            if !self.test_line_once(&mut seen, once, part.span()) {
                ok = false;
                continue;
            }
            match part {
                TokenPart::Kid(id) => kid = Some(id.value.clone()),
                TokenPart::Claim { name, span, .. } if name.value == "exp" => {
                    ok = self.test_problem(*span, TestProblem::ExpClaim);
                }
                TokenPart::Claim { name, value, .. } => {
                    claims.push((name.value.clone(), value.value.clone()));
                }
                TokenPart::Expires(d) => expires_in = seconds(d.millis),
                TokenPart::Expired(d) => expires_in = -seconds(d.millis),
            }
        }
        let alg = alg?;
        ok.then(|| TypedTestToken {
            alg,
            key,
            cookie: token.cookie.as_ref().map(|c| c.value.clone()),
            kid,
            claims,
            expires_in,
        })
    }
}

/// Whether a line of `send` writes the request's `Authorization` header: `user`, a `jwt` not
/// in a cookie, or the header itself.
fn writes_authorization(part: &SendPart) -> bool {
    match part {
        SendPart::Header(h) => h.name.value.eq_ignore_ascii_case("authorization"),
        SendPart::User { .. } => true,
        SendPart::Token(token) => token.cookie.is_none(),
        SendPart::Client(_)
        | SendPart::Body(_)
        | SendPart::Sni(_)
        | SendPart::Certificate { .. } => false,
    }
}

/// Whole seconds of a duration, rounded up (a token's `exp` is in seconds).
fn seconds(millis: u64) -> i64 {
    i64::try_from(millis.div_ceil(1000)).unwrap_or(i64::MAX)
}

/// A `Host` value without its port (`a.example:8080` is `a.example`; `[::1]` stays).
fn without_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((name, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}
