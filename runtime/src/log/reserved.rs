//! The field names the runtime writes on every access log line (or on some lines, like
//! `grpc_status`): a program's own fields (`on log { set log["name"] = ... }`) must not
//! use them, or the runtime would write two fields of one name or overwrite the program's.
//!
//! This file is the one list both sides read. It depends on nothing (no `use`, no other
//! module), because the compiler, which does not link the runtime, includes it by path to
//! reject these names at compile time. The runtime sets `grpc_status` through its constant,
//! and a test (`log/tests.rs`) checks that a real access line has exactly these names, so a
//! field added to the line without being listed here fails the build's tests.

/// When the request finished (the text format writes it first, without a name).
pub const TIME: &str = "time";
/// The request method.
pub const METHOD: &str = "method";
/// The request path.
pub const PATH: &str = "path";
/// The status sent downstream.
pub const STATUS: &str = "status";
/// The backend address the request went to, when it went to one.
pub const UPSTREAM: &str = "upstream";
/// Microseconds from the request header to the end of the request.
pub const DURATION_US: &str = "duration_us";
/// The request id, when one was made or received.
pub const REQUEST_ID: &str = "request_id";
/// Why the request did not finish normally.
pub const ERROR: &str = "error";
/// The `grpc-status` of a gRPC error answer the proxy made itself.
pub const GRPC_STATUS: &str = "grpc_status";
/// What the HTTP cache did (`hit`, `miss`, ...), on requests of a route that caches.
pub const CACHE: &str = "cache";

/// Every name the runtime may write on an access log line, in the order it writes them.
pub const RESERVED_FIELDS: &[&str] = &[
    TIME,
    METHOD,
    PATH,
    STATUS,
    UPSTREAM,
    DURATION_US,
    REQUEST_ID,
    ERROR,
    GRPC_STATUS,
    CACHE,
];
