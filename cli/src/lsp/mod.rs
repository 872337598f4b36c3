//! `proxyc lsp`: a Language Server for `.pxy` files over standard input and output.
//!
//! Built on `lsp-server` and `lsp-types`, rust-analyzer's protocol crates, rather than
//! `tower-lsp-server` or `async-lsp`. Every request here is answered by a parse and a check that
//! take microseconds to milliseconds and touch no I/O, so the server has nothing to wait on:
//! `lsp-server` gives exactly that, a synchronous, crossbeam-channel message loop that we drive
//! ourselves, with Content-Length framing and the initialize handshake done for us. The async
//! crates would bring tokio, tower and `async_trait`-style handlers into the compiler's command
//! line for no gain; and `proxyc` stays a small synchronous program that is easy to reason about
//! (shutdown and exit are explicit in the loop below, not hidden in a framework).
//!
//! This module owns the loop: the handshake, dispatch of requests and notifications to the
//! feature modules, and the lifecycle (`shutdown`, then `exit`; exit code 0 only after a
//! `shutdown`). Each feature lives in its own module and works on text and byte offsets;
//! [`documents`] converts LSP positions. Client input is never trusted: bad parameters get an
//! `InvalidParams` error, unknown documents a null result, positions are clamped.

mod analysis;
mod completion;
mod context;
mod diagnostics;
mod documents;
mod formatting;
mod hover;
mod navigation;

use std::process::ExitCode;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Exit,
    Notification as NotificationMethod, PublishDiagnostics,
};
use lsp_types::request::{
    Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest, References,
    Request as RequestMethod, Shutdown,
};
use lsp_types::{
    CompletionOptions, DocumentSymbolResponse, GotoDefinitionResponse, OneOf,
    PublishDiagnosticsParams, ServerCapabilities, ServerInfo, TextDocumentPositionParams,
    TextDocumentSyncCapability, TextDocumentSyncKind, Uri,
};

use documents::Documents;

/// Runs the server until the client sends `exit` or closes the connection.
pub fn run() -> ExitCode {
    let (connection, io_threads) = Connection::stdio();
    let code = match serve(&connection) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("proxyc lsp: {e}");
            ExitCode::from(1)
        }
    };
    // Closing our side lets the writer thread flush and finish.
    drop(connection);
    if let Err(e) = io_threads.join() {
        eprintln!("proxyc lsp: {e}");
        return ExitCode::from(1);
    }
    code
}

/// What this server can do, announced in the `initialize` answer.
fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(
            TextDocumentSyncKind::INCREMENTAL,
        )),
        hover_provider: Some(lsp_types::HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into(), " ".into()]),
            ..CompletionOptions::default()
        }),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        ..ServerCapabilities::default()
    }
}

/// The handshake and the message loop. Returns the process's exit code.
fn serve(connection: &Connection) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let (id, _params) = connection.initialize_start()?;
    let result = lsp_types::InitializeResult {
        capabilities: capabilities(),
        server_info: Some(ServerInfo {
            name: "proxyc".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
    };
    let result = serde_json::to_value(result)?;
    connection.initialize_finish(id, result)?;

    let mut server = Server {
        documents: Documents::default(),
        outbox: Vec::new(),
    };
    let mut shutting_down = false;
    for message in &connection.receiver {
        match message {
            Message::Request(request) if shutting_down => {
                server.outbox.push(error(
                    request.id,
                    ErrorCode::InvalidRequest,
                    "the server is shutting down",
                ));
            }
            Message::Request(request) if request.method == Shutdown::METHOD => {
                shutting_down = true;
                server.outbox.push(Response::new_ok(request.id, ()).into());
            }
            Message::Request(request) => {
                let response = server.request(request);
                server.outbox.push(response.into());
            }
            Message::Notification(n) if n.method == Exit::METHOD => {
                return Ok(if shutting_down {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                });
            }
            Message::Notification(notification) => server.notification(notification),
            // We send no requests, so there are no responses to read.
            Message::Response(_) => {}
        }
        for message in server.outbox.drain(..) {
            connection.sender.send(message)?;
        }
    }
    // The client went away without `exit`.
    Ok(ExitCode::from(1))
}

fn error(id: RequestId, code: ErrorCode, message: &str) -> Message {
    Response::new_err(id, code as i32, message.to_string()).into()
}

/// The server's state: the open documents, and the messages waiting to be sent.
struct Server {
    documents: Documents,
    outbox: Vec<Message>,
}

impl Server {
    /// Answers one request.
    fn request(&mut self, request: Request) -> Response {
        match request.method.as_str() {
            HoverRequest::METHOD => self.handle::<HoverRequest>(request, |server, p| {
                let (uri, source, offset) = server.locate(&p.text_document_position_params)?;
                hover::hover(Some(uri), source, offset)
            }),
            Completion::METHOD => self.handle::<Completion>(request, |server, p| {
                let (uri, source, offset) = server.locate(&p.text_document_position)?;
                completion::completion(Some(uri), source, offset)
            }),
            GotoDefinition::METHOD => self.handle::<GotoDefinition>(request, |server, p| {
                let (uri, source, offset) = server.locate(&p.text_document_position_params)?;
                navigation::definition(uri, source, offset).map(GotoDefinitionResponse::Scalar)
            }),
            References::METHOD => self.handle::<References>(request, |server, p| {
                let (uri, source, offset) = server.locate(&p.text_document_position)?;
                let declaration = p.context.include_declaration;
                navigation::references(uri, source, offset, declaration)
            }),
            DocumentSymbolRequest::METHOD => {
                self.handle::<DocumentSymbolRequest>(request, |server, p| {
                    let source = server.documents.get(&p.text_document.uri)?;
                    navigation::symbols(source).map(DocumentSymbolResponse::Nested)
                })
            }
            Formatting::METHOD => self.handle::<Formatting>(request, |server, p| {
                formatting::formatting(server.documents.get(&p.text_document.uri)?)
            }),
            _ => Response::new_err(
                request.id,
                ErrorCode::MethodNotFound as i32,
                format!("proxyc lsp does not handle `{}`", request.method),
            ),
        }
    }

    /// Decodes a request's parameters and answers with `respond`'s result, or `InvalidParams`.
    /// Features answer `None` (null) for documents that are not open.
    fn handle<R: RequestMethod>(
        &self,
        request: Request,
        respond: impl FnOnce(&Self, R::Params) -> R::Result,
    ) -> Response {
        match serde_json::from_value::<R::Params>(request.params) {
            Ok(params) => Response::new_ok(request.id, respond(self, params)),
            Err(e) => Response::new_err(
                request.id,
                ErrorCode::InvalidParams as i32,
                format!("invalid parameters for `{}`: {e}", R::METHOD),
            ),
        }
    }

    /// The document, its text and the byte offset a position parameter points at; `None` for a
    /// document that is not open.
    fn locate<'a>(
        &'a self,
        position: &'a TextDocumentPositionParams,
    ) -> Option<(&'a Uri, &'a str, usize)> {
        let uri = &position.text_document.uri;
        let source = self.documents.get(uri)?;
        Some((uri, source, documents::offset(source, position.position)))
    }

    /// Handles one notification: document changes, which publish fresh diagnostics.
    fn notification(&mut self, notification: Notification) {
        match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                if let Some(p) = params::<DidOpenTextDocument>(notification) {
                    let doc = p.text_document;
                    self.documents.open(doc.uri.clone(), doc.text);
                    self.publish(doc.uri, Some(doc.version));
                }
            }
            DidChangeTextDocument::METHOD => {
                if let Some(p) = params::<DidChangeTextDocument>(notification) {
                    let doc = p.text_document;
                    if self.documents.change(&doc.uri, p.content_changes) {
                        self.publish(doc.uri, Some(doc.version));
                    }
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Some(p) = params::<DidCloseTextDocument>(notification) {
                    self.documents.close(&p.text_document.uri);
                    // A closed file's problems leave the problem list with it.
                    self.send_diagnostics(p.text_document.uri, Vec::new(), None);
                }
            }
            // `initialized`, `$/cancelRequest`, `didSave`, ...: nothing to do.
            _ => {}
        }
    }

    /// Checks an open document and publishes its diagnostics.
    fn publish(&mut self, uri: Uri, version: Option<i32>) {
        if let Some(source) = self.documents.get(&uri) {
            let diagnostics = diagnostics::diagnostics(&uri, source);
            self.send_diagnostics(uri, diagnostics, version);
        }
    }

    fn send_diagnostics(
        &mut self,
        uri: Uri,
        diagnostics: Vec<lsp_types::Diagnostic>,
        version: Option<i32>,
    ) {
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        self.outbox
            .push(Notification::new(PublishDiagnostics::METHOD.into(), params).into());
    }
}

/// A notification's parameters; a malformed notification is ignored (it has no reply to carry
/// an error), after a note on standard error.
fn params<N: NotificationMethod>(notification: Notification) -> Option<N::Params> {
    match serde_json::from_value(notification.params) {
        Ok(params) => Some(params),
        Err(e) => {
            eprintln!("proxyc lsp: ignoring `{}`: {e}", N::METHOD);
            None
        }
    }
}
