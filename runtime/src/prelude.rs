//! Everything generated code needs, in one import: `use pxy_runtime::prelude::*;`.

pub use crate::basic::{BasicConfig, BasicVerifier};
pub use crate::cache::{Cache, CacheRule, PURGE};
pub use crate::compress::CompressRule;
pub use crate::convert::{to_int, to_ip};
pub use crate::data::{CidrSet, DataFile, Flag, IntSet, List, StrSet};
pub use crate::error::{Error, ErrorKind, ErrorSide, OrErr, Result};
pub use crate::forward_auth::{ForwardAuth, ForwardAuthConfig};
pub use crate::jwt::{JwtAlgorithm, JwtConfig, JwtKeySource, JwtVerifier};
pub use crate::limit::{InFlight, InFlightPermit, LimitKey, RateLimit, RateQuota};
pub use crate::log::{AccessLogFormat, LogFields};
pub use crate::phase::Proxy;
pub use crate::request_id::{self, RequestId};
pub use crate::response::Response;
pub use crate::server::{
    ClientAddress, ClientLimits, ListenerConfig, ServeOptions, ServerConfig, ServerSettings,
};
pub use crate::session::Session;
pub use crate::text::{base64_decode, base64_encode, hash, unix_time, url_decode, url_encode};
pub use crate::tls::{Alpn, CertKey, ClientAuth, TlsConfig, UpstreamTls, UpstreamTlsConfig};
pub use crate::upstream::{
    AllDown, Backend, BackendConfig, Balance, Discovery, HealthCheck, PassiveHealth, Peer, Probe,
    RetryBudget, Upstream, UpstreamOptions, UpstreamProtocol,
};
pub use crate::{run, serve};
pub use ipnet::IpNet;

pub use bytes::Bytes;
pub use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
pub use regex::Regex;
pub use std::net::SocketAddr;
pub use std::sync::Arc;
pub use std::time::Duration;
