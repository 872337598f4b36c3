//! Longer explanations of each diagnostic code, for `proxyc explain CODE`.

/// Every code with its explanation, in code order.
pub const EXPLANATIONS: &[(&str, &str)] = &[
    ("E0001", "A syntax error: the text does not follow the grammar of .pxy.\n\nThe message says what was expected where parsing stopped.\n\n    route { respond }      # E0001: expected a number after `respond`\n    route { respond 404 }  # fixed"),
    ("E0101", "`proxy NAME` names an upstream that is not declared.\n\n    upstream api { server 127.0.0.1:9001 }\n    route { proxy apj }    # E0101, did you mean `api`?"),
    ("E0102", "A name is used that no `let` binds in this block or an enclosing one.\n\n    route { respond 200 \"{greeting}\" }              # E0102\n    route { let greeting = \"hi\" respond 200 \"{greeting}\" }"),
    ("E0103", "A dotted name that is not a field of the request model. The fields are\nreq.method req.path req.query req.host req.scheme req.headers[\"h\"] client.ip client.port,\nand in `on response` also resp.status resp.headers[\"h\"].\n\n    if req.pth == \"/\" { ... }   # E0103, did you mean `req.path`?"),
    ("E0104", "A call to a function that does not exist. The functions are request_id(), lower(s),\nupper(s), present(x), replace(s, from, to), url_encode(s), url_decode(s), base64_encode(s),\nbase64_decode(s), now(), hash(s) and split(s, sep).\n\n    set req.headers[\"x-id\"] = request_ib()   # E0104"),
    ("E0105", "A word that must be one of a fixed set is not: a listener protocol (http), a balancing\npolicy (round_robin, random), an upstream setting (connect_timeout, read_timeout, retries) or a\nphase (request, response, error).\n\n    upstream api { balance round_robn server 127.0.0.1:9001 }   # E0105"),
    ("E0106", "Something that must be unique is defined twice: two upstreams with one name, or two\nlisteners on one address.\n\n    listen http 0.0.0.0:8080\n    listen http 0.0.0.0:8080   # E0106"),
    ("E0201", "A value has the wrong type for where it is used. Types are never converted implicitly:\na duration needs a unit, a method is written bare.\n\n    upstream api { server 127.0.0.1:9001 read_timeout 30 }   # E0201: write 30s\n    route method GET { if req.method == \"GET\" { ... } }     # E0201: write GET"),
    ("E0202", "A value that may be absent (a header, the query, the host: type `str?`) is used where a\nvalue is required. Give a default with `??`, or test it with `present(...)`.\n\n    if req.headers[\"authorization\"] starts_with \"Bearer \" { ... }         # E0202\n    if req.headers[\"authorization\"] ?? \"\" starts_with \"Bearer \" { ... }   # fixed\n    if present(req.headers[\"x-user\"]) { set req.headers[\"x-seen\"] = req.headers[\"x-user\"] }"),
    ("E0203", "A function is called with the wrong number of arguments.\n\n    set req.headers[\"x\"] = lower()   # E0203: lower takes 1 argument"),
    ("E0204", "A header is indexed with something other than a string literal. Header names are\nvalidated and built once at compile time, so they must be written out.\n\n    let name = \"x-id\"\n    set req.headers[name] = \"1\"       # E0204\n    set req.headers[\"x-id\"] = \"1\"    # fixed"),
    ("E0301", "A regex literal does not compile. Regexes are compiled at build time with the same engine\nthe proxy uses, so a bad one is caught before deployment.\n\n    route path ~ /^\\/(api/ { ... }   # E0301: unclosed group"),
    ("E0302", "A header name is not an RFC 9110 token: letters, digits and !#$%&'*+-.^_`|~ only.\n\n    set req.headers[\"x id\"] = \"1\"   # E0302: space"),
    ("E0303", "A header value contains CR, LF or another control character. A line break in a header\nvalue would let a request or response be split (header injection).\n\n    set resp.headers[\"x\"] = \"a\\nb\"   # E0303"),
    ("E0304", "A status code is out of range: 100 to 599 for `respond` and comparisons, and one of 301,\n302, 303, 307, 308 for `redirect`.\n\n    respond 700 \"?\"          # E0304\n    redirect 200 \"/other\"    # E0304"),
    ("E0305", "A literal is malformed: an address without a valid IP and port, an IP with a part above\n255, a CIDR prefix longer than the address, a path prefix not starting with `/`.\n\n    listen http 0.0.0.0:99999   # E0305"),
    ("E0306", "A program sets a header that belongs to one connection or to message framing: Connection,\nKeep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade or Content-Length. The\nproxy removes these and computes its own; setting them would at best be ignored and at worst\ncorrupt framing.\n\n    set req.headers[\"connection\"] = \"close\"   # E0306"),
    ("E0307", "A capture reference names a group the regex does not have. Groups are numbered from 1\n(0 is the whole match); named groups `(?P<id>...)` can also be used by name.\n\n    route path ~ /^\\/users\\/(\\d+)$/ as m { respond 200 \"{m[2]}\" }   # E0307: one group\n    route path ~ /^\\/users\\/(\\d+)$/ as m { respond 200 \"{m[1]}\" }"),
    ("E0308", "`if COND as NAME` names the capture groups of the one `matches` in the condition, so the\ncondition must contain exactly one `matches`, and it must have succeeded whenever the\ncondition holds: at the top, or joined with `&&`, not under `||` or `!`.\n\n    if req.path matches /a(.)/ || req.path matches /b(.)/ as m { ... }   # E0308\n    if req.method == GET && req.path matches /^\\/v1\\/(.+)$/ as m { rewrite path = \"/v2/{m[1]}\" }"),
    ("E0401", "A field is used in a phase where it does not exist yet. `resp.*` exists only in\n`on response`; request headers can only be written before the request is sent.\n\n    on request { if resp.status == 200 { ... } }   # E0401"),
    ("E0402", "Something that cannot be assigned is the target of `set`, `add` or `remove`. Headers\nare written with set/add/remove; the path with `rewrite path = ...` or `strip_prefix`.\n\n    set req.path = \"/v2\"     # E0402: use rewrite path = \"/v2\""),
    ("E0403", "A statement is used in a section that cannot run it: `proxy` only in routes;\n`respond`, `redirect`, `strip_prefix` and `rewrite` not in `on response`.\n\n    on request { proxy api }   # E0403"),
    ("E0501", "A route can finish without answering: some path through it does not end in\n`proxy`, `respond` or `redirect`.\n\n    route path \"/a\" { if req.method == GET { proxy api } }            # E0501\n    route path \"/a\" { if req.method == GET { proxy api } else { respond 405 } }"),
    ("E0502", "An upstream declares no server, so every request to it would fail.\n\n    upstream api { balance random }   # E0502"),
    ("E0503", "A server's weight is 0; it would never be chosen.\n\n    server 127.0.0.1:9001 weight 0   # E0503"),
    ("E0504", "The program has no listener, so the proxy would serve nothing.\n\n    listen http 0.0.0.0:8080"),
    ("E0506", "A `listen https` has no `cert` line, so it has nothing to present to clients.\n\n    listen https 0.0.0.0:443 {\n        cert \"certs/site.pem\" key \"certs/site.key\"\n    }"),
    ("E0507", "A TLS setting where TLS is off: a `{ cert ... }` block on `listen http`, or `tls_sni`,\n`tls_ca` or `tls_verify` in an upstream without `tls on`.\n\n    upstream app { server 10.0.0.1:443 tls on tls_sni \"app.internal\" }"),
    ("W0610", "A certificate, key or CA file named by the program does not exist (relative paths are\nrelative to the .pxy file's directory). The build goes on, since certificates are often\ninstalled on the target machine, but the proxy's `--test` and start-up refuse a missing file.\n\n    listen https 0.0.0.0:443 { cert \"certs/site.pem\" key \"certs/site.key\" }"),
    ("W0611", "`tls_verify off` accepts any certificate from the upstream's servers, so anyone on the\npath can impersonate them. Give the CA that signed them instead.\n\n    upstream app { server 10.0.0.1:443 tls on tls_ca \"certs/internal-ca.pem\" }"),
    ("W0601", "A route can never match: an earlier route matches every request it would (routes are\ntried in source order and the first match wins).\n\n    route path \"/api/\" { proxy api }\n    route path \"/api/v2/\" { proxy v2 }   # W0601: move it above"),
    ("W0602", "A statement follows `respond`, `redirect` or `proxy` in the same block and never runs.\n\n    route { respond 404 set req.headers[\"x\"] = \"1\" }   # W0602"),
    ("W0604", "A comparison between two literals is the same for every request, so the branch it guards\nalways or never runs.\n\n    if 1 == 2 { respond 500 }   # W0604: always false"),
    ("W0605", "A `let` binding is never read. Name it with a leading underscore to keep it on purpose.\n\n    let user = req.headers[\"x-user\"] ?? \"\"   # W0605 if `user` is not used"),
    ("W0606", "The program has routes, but none matches every request; requests that match none get the\nbuilt-in `404 no route`. End with a catch-all route to choose the answer.\n\n    route { respond 404 \"not found\" }"),
    ("W0607", "Two routes match some of the same requests, neither includes the other, and they do different\nthings: which one runs depends on their order, silently (nginx's location rules are a famous\nsource of such surprises).\n\n    route host \"a.example\" { proxy a }\n    route path \"/api/\" { proxy api }   # W0607: a.example/api/... goes to `a`"),
    ("W0608", "An upstream's retries cannot all happen: each try may wait `connect_timeout` before it fails,\nso `connect_timeout × (retries + 1)` must fit in `request_timeout`.\n\n    upstream api { server 127.0.0.1:9001 server 127.0.0.1:9002 connect_timeout 2s retries 3 request_timeout 5s }   # W0608"),
    ("W0603", "An upstream is declared but no route proxies to it.\n\n    upstream old { server 127.0.0.1:9009 }   # W0603"),
];

/// The explanation of `code` (case-insensitive), if it is a known code.
pub fn explain(code: &str) -> Option<&'static str> {
    EXPLANATIONS
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
        .map(|(_, text)| *text)
}
