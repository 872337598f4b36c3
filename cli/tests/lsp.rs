//! `proxyc lsp` end to end: the real binary, spoken to over its standard input and output with
//! JSON-RPC and Content-Length framing, as an editor does. Every wait is bounded and the process
//! is killed when the test ends, whatever happens.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How long any one answer may take.
const TIMEOUT: Duration = Duration::from_secs(20);

const URI: &str = "file:///tmp/caf%C3%A9.pxy";

/// A language server process and the messages it has sent that nobody has read yet.
struct Server {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    unread: Vec<Value>,
    next_id: i64,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_proxyc"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start proxyc lsp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        Server {
            child,
            stdin,
            messages,
            unread: Vec::new(),
            next_id: 1,
        }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns its whole response (`result` or `error`).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.wait_for(|m| m["id"] == json!(id) && m.get("method").is_none())
    }

    /// The params of the next notification with this method.
    fn notification(&mut self, method: &str) -> Value {
        self.wait_for(|m| m["method"] == method && m.get("id").is_none())["params"].take()
    }

    /// The first message, read or unread, that `wanted` accepts; fails after [`TIMEOUT`].
    fn wait_for(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.unread.iter().position(&wanted) {
            return self.unread.remove(i);
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = self
                .messages
                .recv_timeout(left)
                .expect("the server answers in time");
            if wanted(&message) {
                return message;
            }
            self.unread.push(message);
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One framed message, or `None` at the end of the stream.
fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length: ") {
            length = value.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// The LSP position (line, UTF-16 column) of the first `marker` in `text`, plus `delta` bytes.
fn position(text: &str, marker: &str, delta: usize) -> Value {
    let offset = text.find(marker).expect("marker") + delta;
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    json!({
        "line": before.matches('\n').count(),
        "character": before[line_start..].encode_utf16().count(),
    })
}

fn at(text: &str, marker: &str, delta: usize) -> Value {
    json!({ "textDocument": { "uri": URI }, "position": position(text, marker, delta) })
}

fn range(start: (u32, u32), end: (u32, u32)) -> Value {
    json!({
        "start": { "line": start.0, "character": start.1 },
        "end": { "line": end.0, "character": end.1 },
    })
}

/// Two errors on a line whose text before them has a two-unit emoji and a one-unit `é`.
const BROKEN: &str = "# café ☕ — a proxy with 😀 in it\nlisten http 127.0.0.1:8080\nupstream api { server 127.0.0.1:9001 }\nroute path \"/é😀\" { let who = lower(5) proxy apj }\nroute { respond 404 }\n";

const FIXED: &str = "# café ☕ — a proxy with 😀 in it\nlisten http 127.0.0.1:8080\nupstream api { server 127.0.0.1:9001 }\nroute path \"/é😀\" {\n    let who = lower(\"😀\")\n    set req.headers[\"x-who\"] = \"é😀 {who} {req.path}\"\n    proxy api\n}\nroute { respond 404 }\n";

fn labels(completion: &Value) -> Vec<String> {
    let items = completion["result"]
        .as_array()
        .or_else(|| completion["result"]["items"].as_array())
        .expect("completion items");
    items
        .iter()
        .filter_map(|i| i["label"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn a_session_from_initialize_to_exit() {
    let mut server = Server::start();
    let init = server.request(
        "initialize",
        json!({ "processId": null, "rootUri": null, "capabilities": {} }),
    );
    let capabilities = &init["result"]["capabilities"];
    assert_eq!(capabilities["hoverProvider"], json!(true), "{init}");
    assert_eq!(capabilities["documentFormattingProvider"], json!(true));
    server.notify("initialized", json!({}));

    // Diagnostics on open, with UTF-16 ranges: on line 3, `route path "/é😀" { let who = lower(`
    // is 36 units (é is one, 😀 two), so `5` is 36..37; `apj` follows `) proxy ` at 45..48.
    server.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": URI, "languageId": "pxy", "version": 1, "text": BROKEN } }),
    );
    let published = server.notification("textDocument/publishDiagnostics");
    assert_eq!(published["uri"], URI);
    assert_eq!(published["version"], 1);
    let diagnostics = published["diagnostics"].as_array().expect("a list");
    let got: Vec<(Value, Value)> = diagnostics
        .iter()
        .map(|d| (d["code"].clone(), d["range"].clone()))
        .collect();
    assert_eq!(
        got,
        [
            (json!("E0201"), range((3, 36), (3, 37))),
            (json!("E0101"), range((3, 45), (3, 48))),
        ],
        "{published:#}"
    );
    for d in diagnostics {
        assert_eq!(d["severity"], 1);
        assert_eq!(d["source"], "proxyc");
    }
    assert!(diagnostics[1]["message"].as_str().is_some_and(|m| m
        .contains("no upstream named `apj`")
        && m.contains("help: did you mean `api`?")));

    // Fixing the file empties the list.
    server.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": URI, "version": 2 }, "contentChanges": [{ "text": FIXED }] }),
    );
    let published = server.notification("textDocument/publishDiagnostics");
    assert_eq!(published["version"], 2);
    assert_eq!(published["diagnostics"], json!([]), "{published:#}");

    // Hover on `req.path`, after non-ASCII text on its line.
    let hover = server.request("textDocument/hover", at(FIXED, "req.path", 5));
    let text = hover["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default();
    assert!(text.contains("req.path: str"), "{hover:#}");
    let start = position(FIXED, "req.path", 0);
    assert_eq!(hover["result"]["range"]["start"], start);

    // Completion after `req.` and after `proxy `.
    let fields = labels(&server.request("textDocument/completion", at(FIXED, "req.path", 4)));
    assert!(
        fields.iter().any(|l| l == "path") && fields.iter().any(|l| l == "headers"),
        "{fields:?}"
    );
    let upstreams = labels(&server.request("textDocument/completion", at(FIXED, "proxy api", 6)));
    assert_eq!(upstreams, ["api"]);

    // Definition and references: `proxy api` ↔ `upstream api`.
    let definition = server.request("textDocument/definition", at(FIXED, "proxy api", 7));
    let decl = range((2, 9), (2, 12));
    assert_eq!(definition["result"]["uri"], URI);
    assert_eq!(definition["result"]["range"], decl, "{definition:#}");
    let mut params = at(FIXED, "api {", 1);
    params["context"] = json!({ "includeDeclaration": true });
    let references = server.request("textDocument/references", params);
    let ranges: Vec<&Value> = references["result"]
        .as_array()
        .expect("references")
        .iter()
        .map(|l| &l["range"])
        .collect();
    assert_eq!(ranges, [&decl, &range((6, 10), (6, 13))]);

    // The outline.
    let symbols = server.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": URI } }),
    );
    let names: Vec<&str> = symbols["result"]
        .as_array()
        .expect("symbols")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "listen http 127.0.0.1:8080",
            "api",
            "route path \"/é😀\"",
            "route"
        ]
    );
    assert_eq!(
        symbols["result"][1]["children"][0]["name"],
        "127.0.0.1:9001"
    );

    // Formatting puts the one-line upstream on three lines.
    let formatting = server.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": URI }, "options": { "tabSize": 4, "insertSpaces": true } }),
    );
    let edits = formatting["result"].as_array().expect("edits");
    assert!(!edits.is_empty(), "{formatting:#}");
    assert!(edits.iter().any(|e| e["newText"]
        .as_str()
        .is_some_and(|t| t.contains("upstream api {\n    server 127.0.0.1:9001\n}"))));

    // Nothing a client sends makes it fall over.
    let unknown = json!({ "textDocument": { "uri": "file:///nowhere.pxy" }, "position": { "line": 0, "character": 0 } });
    assert_eq!(
        server.request("textDocument/hover", unknown)["result"],
        Value::Null
    );
    let far =
        json!({ "textDocument": { "uri": URI }, "position": { "line": 999, "character": 999 } });
    assert!(server
        .request("textDocument/definition", far)
        .get("result")
        .is_some());
    let inside_emoji = json!({ "textDocument": { "uri": URI }, "position": position(FIXED, "😀", 0)["line"].as_u64().map(|l| json!({ "line": l, "character": 1 })) });
    assert!(server
        .request("textDocument/hover", inside_emoji)
        .get("result")
        .is_some());
    let bad = server.request("textDocument/hover", json!({ "nonsense": true }));
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
    let unknown_method = server.request("textDocument/unheardOf", json!({}));
    assert_eq!(unknown_method["error"]["code"], -32601);

    // Shutdown, then exit: status 0.
    let shutdown = server.request("shutdown", Value::Null);
    assert_eq!(shutdown["result"], Value::Null);
    assert!(shutdown.get("error").is_none());
    server.notify("exit", Value::Null);
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = server.child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "the server exits after `exit`");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
}

#[test]
fn exit_without_shutdown_is_status_1() {
    let mut server = Server::start();
    server.request("initialize", json!({ "capabilities": {} }));
    server.notify("initialized", json!({}));
    server.notify("exit", Value::Null);
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = server.child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "the server exits after `exit`");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(1));
}
