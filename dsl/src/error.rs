//! Syntax errors, in plain words.
//!
//! pest reports the grammar rules it expected; users should never see rule names. Each rule that
//! can be "expected" has a description here ("a duration like `5s`"), and the checker's
//! diagnostic module renders [`ParseError`] like every other diagnostic.

use crate::parser::Rule;
use crate::Span;

/// A syntax error: where the parser stopped and what it would have accepted there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Where parsing stopped (zero-width at end of input).
    pub span: Span,
    /// What kind of error.
    pub kind: ParseErrorKind,
}

/// The kinds of syntax error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// The text at `span` is not what the grammar allows there.
    Unexpected {
        /// Descriptions of what would have been accepted, deduplicated, in a stable order.
        expected: Vec<&'static str>,
        /// The offending text (a word or one character), empty at end of input.
        found: String,
    },
    /// A keyword where a name is expected: `let host = ...`, `upstream route { ... }`.
    KeywordAsName {
        /// The keyword as written.
        keyword: String,
    },
    /// An expression where a statement is expected: `route { lower("x") respond 200 }`.
    /// The span covers the whole expression.
    ExpressionAsStatement {
        /// The expression as written.
        text: String,
        /// Whether the expression is one bare word (most often a misspelt statement keyword,
        /// `respnd 200`), rather than a call or another expression.
        is_word: bool,
    },
    /// An integer literal that does not fit in 64 bits.
    IntTooLarge,
    /// Brackets nested deeper than [`MAX_NESTING`](crate::parser::MAX_NESTING), or an
    /// expression with more than [`MAX_OPERATORS`](crate::parser::MAX_OPERATORS) operators:
    /// refused so that no pass can run out of stack.
    TooDeep,
    /// `{...}` in a string that must be known at compile time (a route's host, path or header).
    InterpolationNotAllowed,
}

/// A description of a rule for "expected ..." messages; `None` for rules users never need to see.
pub(crate) fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "end of file",
        Rule::listen_decl | Rule::listen_kw => "`listen`",
        Rule::upstream_decl | Rule::upstream_kw => "`upstream`",
        Rule::route_decl | Rule::route_kw => "`route`",
        Rule::on_decl | Rule::on_kw => "`on`",
        Rule::server_decl | Rule::server_kw => "`server`",
        Rule::server_block => "`server { ... }`",
        Rule::server_setting => "a setting like `threads 4`",
        Rule::balance_decl | Rule::balance_kw => "`balance`",
        Rule::upstream_setting => "a setting like `connect_timeout 1s`",
        Rule::weight_kw => "`weight`",
        Rule::cert_decl | Rule::cert_word => "`cert \"chain.pem\" key \"key.pem\"`",
        Rule::key_word => "`key \"key.pem\"`",
        Rule::alpn_decl | Rule::alpn_word => "`alpn h2, http/1.1`",
        Rule::client_ca_decl | Rule::client_ca_word => "`client_ca \"ca.pem\" required`",
        Rule::proxy_protocol_decl | Rule::proxy_protocol_word => "`proxy_protocol`",
        Rule::trust_proxies_decl | Rule::trust_proxies_word => {
            "`trust_proxies 10.0.0.0/8, 127.0.0.1`"
        }
        Rule::alpn_id => "a protocol like `h2` or `http/1.1`",
        Rule::setting_value => "a value like `5s`, `64KB` or `3`",
        Rule::host_matcher | Rule::host_kw => "`host \"...\"`",
        Rule::path_matcher | Rule::path_regex_matcher | Rule::path_kw => "`path \"/prefix\"`",
        Rule::method_matcher | Rule::method_kw => "`method GET`",
        Rule::header_matcher | Rule::header_kw => "`header \"name\"`",
        Rule::block => "a block `{ ... }`",
        Rule::set_stmt | Rule::set_kw => "`set`",
        Rule::add_stmt | Rule::add_kw => "`add`",
        Rule::remove_stmt | Rule::remove_kw => "`remove`",
        Rule::respond_stmt | Rule::respond_kw => "`respond`",
        Rule::redirect_stmt | Rule::redirect_kw => "`redirect`",
        Rule::strip_prefix_stmt | Rule::strip_prefix_kw => "`strip_prefix`",
        Rule::rewrite_stmt | Rule::rewrite_kw => "`rewrite`",
        Rule::proxy_stmt | Rule::proxy_kw => "`proxy`",
        Rule::if_stmt | Rule::if_kw => "`if`",
        Rule::else_kw => "`else`",
        Rule::let_stmt | Rule::let_kw => "`let`",
        Rule::headers_kw | Rule::respond_headers => "`headers { ... }`",
        Rule::header_entry => "a header like `\"content-type\" = \"text/plain\"`",
        Rule::place => "a header like `req.headers[\"x-id\"]`",
        Rule::expr | Rule::operand | Rule::literal | Rule::call | Rule::dotted => "an expression",
        Rule::index => "`[`",
        Rule::op_or
        | Rule::op_and
        | Rule::op_coalesce
        | Rule::op_eq
        | Rule::op_ne
        | Rule::op_le
        | Rule::op_ge
        | Rule::op_lt
        | Rule::op_gt
        | Rule::op_starts_with
        | Rule::op_ends_with
        | Rule::op_contains
        | Rule::op_matches
        | Rule::op_in
        | Rule::op_mod => "an operator",
        Rule::list => "a list like `[\"a\", \"b\"]`",
        Rule::as_kw => "`as`",
        Rule::backup_kw => "`backup`",
        Rule::discover_decl | Rule::discover_kw => "`discover`",
        Rule::health_decl | Rule::health_kw => "`health`",
        Rule::passive_decl | Rule::passive_kw => "`passive`",
        Rule::discover_option | Rule::discover_word => "a discovery option (`port`, `every`)",
        Rule::health_option | Rule::health_word => {
            "a health check option (`expect`, `every`, `timeout`, `rise`, `fall`)"
        }
        Rule::passive_option | Rule::passive_word => {
            "a passive health option (`fails`, `cool_down`)"
        }
        Rule::limit_decl | Rule::limit_kw => "`limit`",
        Rule::data_decl | Rule::list_decl | Rule::list_word => "`list`",
        Rule::flag_decl | Rule::flag_word => "`flag`",
        Rule::from_word => "`from file` and a path, as in `from file \"blocked.txt\"`",
        Rule::file_word => "`file` and a path",
        Rule::limit_option | Rule::limit_word => "a limit option (`burst`, `keys`)",
        Rule::per_word => "`per` and a duration, as in `100 per 1m`",
        Rule::by_word => "`by` and what to count by, as in `by client.ip`",
        Rule::queue_word => "`queue` and a duration",
        Rule::rate_limit_stmt | Rule::rate_limit_kw => "`rate_limit`",
        Rule::max_in_flight_stmt | Rule::max_in_flight_kw => "`max_in_flight`",
        Rule::cache_decl | Rule::cache_stmt | Rule::cache_kw => "`cache`",
        Rule::cache_setting => "a cache setting like `ttl 60s`",
        Rule::cache_key_word => "`key` and a `str`, as in `key \"{req.host}{req.path}\"`",
        Rule::purge_stmt | Rule::purge_kw => "`purge`",
        Rule::purge_by => "`prefix` or `tag` and what to purge, as in `prefix \"/static/\"`",
        Rule::op_not => "`!`",
        Rule::string | Rule::str_text | Rule::str_escape | Rule::str_brace => {
            "a string like `\"text\"`"
        }
        Rule::interp => "`{expression}`",
        Rule::regex_lit | Rule::regex_body => "a regex like `/^\\/api/`",
        Rule::duration_lit => "a duration like `5s`",
        Rule::size_lit => "a size like `64KB`",
        Rule::int_lit => "a number",
        Rule::status => "a status like `404`",
        Rule::bool_lit => "`true` or `false`",
        Rule::method_lit => "a method like `GET`",
        Rule::ip_lit | Rule::ipv4 | Rule::ipv6 => "an IP address",
        Rule::cidr_lit => "a CIDR like `10.0.0.0/8`",
        Rule::socket_addr | Rule::hostname => "an address like `127.0.0.1:8080`",
        Rule::ident | Rule::field_name => "a name",
        _ => return None,
    })
}
