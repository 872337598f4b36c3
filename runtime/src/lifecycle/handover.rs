//! Zero-downtime upgrade: the running process hands its listening sockets to a new one.
//!
//! Every serving process offers its sockets on a Unix stream socket, the hand-over socket
//! ([`offer`]). A new process started with `--upgrade` connects to it ([`request`]), and:
//!
//! ```text
//!  new                                   running (old)
//!   │ ── PXY-UPGRADE 1 ───────────────────▶ │  checks the peer's uid (same user or root)
//!   │ ◀── PXY-SOCKETS 1 N, N lines ──────── │  + every listening socket (SCM_RIGHTS),
//!   │     (kind, declared, bound address)   │    the admin one too; it keeps accepting
//!   │  takes the sockets it declares,       │
//!   │  binds the others, starts serving     │
//!   │ ── READY <pid> ─────────────────────▶ │  stops accepting (its sockets stay open in
//!   │ ◀── BYE ───────────────────────────── │  the new process), drains, exits
//!   │  replaces the hand-over socket with its own, for the next upgrade
//! ```
//!
//! Both processes accept on the same sockets between the two messages, so no connection is
//! refused: the kernel's accept queue is shared. Everything that can fail in the new process
//! (configuration, certificates, building the proxy, binding what it adds) happens before
//! READY; if it exits or closes the connection before READY, the running process has lost
//! nothing and goes on as before. Sockets offered but not declared by the new program are
//! closed there (the old process closes its own when it stops); declared ones not offered are
//! bound fresh.
//!
//! The hand-over socket's default path is derived from the first listener's address, so a
//! new build of a program (or another program on the same addresses) finds it without being
//! told: `$XDG_RUNTIME_DIR/proxyc/upgrade-ADDR-PORT.sock`, or `/tmp/proxyc-UID/...` when
//! that is unset. The directory is created private (0700) and must be owned by the user;
//! `--upgrade-socket PATH` overrides the path on both sides. The new side tries the path of
//! each of its listeners in order, so a program that adds or removes listeners still finds
//! its predecessor as long as one address is shared.

use std::io::{self, BufReader, Write as _};
use std::net::SocketAddr;
use std::os::fd::{AsRawFd as _, OwnedFd};
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, PermissionsExt as _};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::fds;

const HELLO: &str = "PXY-UPGRADE 1";
const SOCKETS: &str = "PXY-SOCKETS 1";
const READY: &str = "READY";
const BYE: &str = "BYE";

/// How long either side waits for the other's next message. The new process does all its
/// slow work (certificates, building the proxy) before it connects.
const TIMEOUT: Duration = Duration::from_secs(30);

/// What a handed-over socket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A proxy listener (`listen` in the program).
    Listen,
    /// The admin listener (`--admin`).
    Admin,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Kind::Listen => "listen",
            Kind::Admin => "admin",
        }
    }

    fn parse(word: &str) -> Option<Kind> {
        match word {
            "listen" => Some(Kind::Listen),
            "admin" => Some(Kind::Admin),
            _ => None,
        }
    }
}

/// One listening socket, as offered or received.
#[derive(Debug)]
pub(crate) struct Socket {
    pub(crate) kind: Kind,
    /// The address the program declared (port 0 for an ephemeral one).
    pub(crate) declared: SocketAddr,
    /// The address it is bound to.
    pub(crate) local: SocketAddr,
    /// The socket; `None` once taken.
    pub(crate) fd: Option<OwnedFd>,
}

impl Socket {
    /// A socket offering `listener` (duplicated, so the offer does not depend on the
    /// listener staying open).
    pub(crate) fn of(
        kind: Kind,
        declared: SocketAddr,
        listener: &impl std::os::fd::AsFd,
    ) -> io::Result<Socket> {
        let fd = listener.as_fd().try_clone_to_owned()?;
        let local = std::net::TcpListener::from(fd.try_clone()?).local_addr()?;
        Ok(Socket {
            kind,
            declared,
            local,
            fd: Some(fd),
        })
    }

    fn serves(&self, kind: Kind, addr: SocketAddr) -> bool {
        self.kind == kind && (self.declared == addr || self.local == addr)
    }
}

// ===== paths =====

/// The default hand-over socket of a process whose first listener is `addr`.
///
/// # Errors
///
/// When the private directory cannot be created, or exists but is not a directory owned by
/// this user and closed to others.
pub(crate) fn default_path(addr: SocketAddr) -> io::Result<PathBuf> {
    Ok(private_dir()?.join(format!("upgrade-{}-{}.sock", addr.ip(), addr.port())))
}

fn private_dir() -> io::Result<PathBuf> {
    let uid = nix::unistd::geteuid().as_raw();
    let dir = match std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
        Some(runtime) if runtime.is_dir() => runtime.join("proxyc"),
        _ => std::env::temp_dir().join(format!("proxyc-{uid}")),
    };
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    // Not a symlink, ours, and nobody else's to write in: another user must not be able to
    // put a socket there that a new process would take listeners from.
    let meta = std::fs::symlink_metadata(&dir)?;
    if !meta.is_dir() || meta.uid() != uid || meta.permissions().mode() & 0o077 != 0 {
        return Err(io::Error::other(format!(
            "{} must be a directory owned by uid {uid} with mode 0700",
            dir.display()
        )));
    }
    Ok(dir)
}

// ===== the running side =====

/// The hand-over socket of a serving process. Dropping it removes the socket file if it is
/// still this process's (a successor has replaced it after an upgrade).
#[derive(Debug)]
pub(crate) struct Offer {
    path: PathBuf,
    /// Device and inode of the socket file this process bound.
    id: (u64, u64),
}

impl Offer {
    /// The socket's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Offer {
    fn drop(&mut self) {
        if file_id(&self.path).ok() == Some(self.id) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn file_id(path: &Path) -> io::Result<(u64, u64)> {
    let meta = std::fs::symlink_metadata(path)?;
    Ok((meta.dev(), meta.ino()))
}

/// Binds the hand-over socket at `path` (replacing any file there at once, so there is never
/// a moment without one) and answers requests on a thread of its own. Once a new process
/// says READY, `taken` runs (it makes this process stop accepting) and the thread ends.
///
/// # Errors
///
/// When the socket cannot be bound.
pub(crate) fn offer(
    path: PathBuf,
    sockets: Vec<Socket>,
    taken: impl FnOnce(u32) + Send + 'static,
) -> io::Result<Offer> {
    let staging = path.with_extension(format!("new-{}", std::process::id()));
    let _ = std::fs::remove_file(&staging);
    let listener = UnixListener::bind(&staging)?;
    std::fs::set_permissions(&staging, std::fs::Permissions::from_mode(0o600))?;
    std::fs::rename(&staging, &path)?;
    let offer = Offer {
        id: file_id(&path)?,
        path,
    };
    std::thread::Builder::new()
        .name("pxy-handover".into())
        .spawn(move || {
            let mut taken = Some(taken);
            for stream in listener.incoming() {
                let stream = match stream {
                    Ok(stream) => stream,
                    Err(e) => {
                        tracing::warn!(error = %e, "hand-over socket accept failed");
                        std::thread::sleep(Duration::from_millis(100));
                        continue;
                    }
                };
                match answer(&stream, &sockets) {
                    Ok(Some(pid)) => {
                        tracing::info!(new_pid = pid, "a new process took the listeners over");
                        if let Some(taken) = taken.take() {
                            taken(pid);
                        }
                        let _ = writeln!(&stream, "{BYE}");
                        return;
                    }
                    Ok(None) => tracing::warn!(
                        "a new process took the sockets but ended before it was ready; \
                         still serving"
                    ),
                    Err(e) => {
                        tracing::warn!(error = %e, "upgrade refused or failed; still serving")
                    }
                }
            }
        })?;
    Ok(offer)
}

/// One hand-over conversation. `Some(pid)` once the new process is ready, `None` if it went
/// away before.
fn answer(stream: &UnixStream, sockets: &[Socket]) -> io::Result<Option<u32>> {
    use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
    let peer = getsockopt(stream, PeerCredentials).map_err(io::Error::from)?;
    let me = nix::unistd::geteuid().as_raw();
    if peer.uid() != me && peer.uid() != 0 {
        return Err(io::Error::other(format!(
            "pid {} runs as uid {}, not {me}",
            peer.pid(),
            peer.uid()
        )));
    }
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    let mut lines = BufReader::new(stream);
    if read_line(&mut lines)?.as_deref() != Some(HELLO) {
        return Err(io::Error::other("not a hand-over request"));
    }
    let mut payload = format!("{SOCKETS} {}\n", sockets.len());
    let mut raw = Vec::new();
    for socket in sockets {
        let Some(fd) = &socket.fd else { continue };
        payload.push_str(&format!(
            "{} {} {}\n",
            socket.kind.word(),
            socket.declared,
            socket.local
        ));
        raw.push(fd.as_raw_fd());
    }
    fds::send(stream, payload.as_bytes(), &raw)?;
    tracing::info!(
        pid = peer.pid(),
        sockets = raw.len(),
        "listening sockets sent to a new process"
    );
    match read_line(&mut lines)? {
        None => Ok(None),
        Some(line) => match line.strip_prefix(READY).map(str::trim).map(str::parse) {
            Some(Ok(pid)) => Ok(Some(pid)),
            _ => Err(io::Error::other(format!("unexpected message {line:?}"))),
        },
    }
}

/// The next line without its `\n`; `None` at the end of the stream.
fn read_line(lines: &mut impl io::BufRead) -> io::Result<Option<String>> {
    let mut line = String::new();
    match lines.read_line(&mut line)? {
        0 => Ok(None),
        _ => Ok(Some(line.trim_end_matches('\n').to_owned())),
    }
}

// ===== the new side =====

/// The sockets received from the running process, and the conversation to finish with it.
#[derive(Debug)]
pub(crate) struct Inherited {
    stream: UnixStream,
    path: PathBuf,
    sockets: Vec<Socket>,
    from_pid: i32,
}

/// Connects to the first of `candidates` that answers and receives its sockets.
///
/// # Errors
///
/// When no candidate answers (no running process there), or the conversation fails.
pub(crate) fn request(candidates: &[PathBuf]) -> io::Result<Inherited> {
    let mut tried = Vec::new();
    for path in candidates {
        match UnixStream::connect(path) {
            Ok(stream) => return receive(stream, path.clone()),
            Err(e) => tried.push(format!("{}: {e}", path.display())),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::NotFound,
        format!("no running proxy to upgrade ({})", tried.join("; ")),
    ))
}

fn receive(stream: UnixStream, path: PathBuf) -> io::Result<Inherited> {
    use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    let from_pid = getsockopt(&stream, PeerCredentials)
        .map_err(io::Error::from)?
        .pid();
    writeln!(&stream, "{HELLO}")?;
    let (payload, mut fds) = fds::receive(&stream, is_whole)?;
    let text = String::from_utf8(payload).map_err(|_| io::Error::other("not UTF-8"))?;
    let bad = || io::Error::other(format!("malformed hand-over message {text:?}"));
    let mut lines = text.lines();
    let count: usize = lines
        .next()
        .and_then(|l| l.strip_prefix(SOCKETS))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(bad)?;
    if fds.len() != count {
        return Err(io::Error::other(format!(
            "{count} sockets announced, {} received",
            fds.len()
        )));
    }
    let mut sockets = Vec::with_capacity(count);
    for (line, fd) in lines.zip(fds.drain(..)) {
        let mut words = line.split(' ');
        let (Some(kind), Some(declared), Some(local)) = (
            words.next().and_then(Kind::parse),
            words.next().and_then(|a| a.parse().ok()),
            words.next().and_then(|a| a.parse().ok()),
        ) else {
            return Err(bad());
        };
        sockets.push(Socket {
            kind,
            declared,
            local,
            fd: Some(fd),
        });
    }
    Ok(Inherited {
        stream,
        path,
        sockets,
        from_pid,
    })
}

/// Whether `payload` holds the header line and as many lines as it announces.
fn is_whole(payload: &[u8]) -> bool {
    let lines = payload.iter().filter(|&&b| b == b'\n').count();
    let Some(end) = payload.iter().position(|&b| b == b'\n') else {
        return false;
    };
    let announced = std::str::from_utf8(&payload[..end])
        .ok()
        .and_then(|l| l.strip_prefix(SOCKETS))
        .and_then(|n| n.trim().parse::<usize>().ok());
    match announced {
        Some(n) => lines > n,
        // Not a header: whole as far as the parser is concerned, which rejects it.
        None => true,
    }
}

impl Inherited {
    /// The hand-over socket's path (the new process binds its own there once ready).
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The running process's pid.
    pub(crate) fn old_pid(&self) -> i32 {
        self.from_pid
    }

    /// Takes the received socket of `kind` serving `addr`, if there is one.
    pub(crate) fn take(&mut self, kind: Kind, addr: SocketAddr) -> Option<std::net::TcpListener> {
        self.sockets
            .iter_mut()
            .find(|s| s.fd.is_some() && s.serves(kind, addr))
            .and_then(|s| s.fd.take())
            .map(std::net::TcpListener::from)
    }

    /// Tells the running process that this one serves now, closes the sockets this program
    /// did not take, and waits for the running one to confirm it stopped accepting.
    ///
    /// # Errors
    ///
    /// When the message cannot be sent, or the running process does not confirm.
    pub(crate) fn ready(self) -> io::Result<()> {
        let unused: Vec<String> = self
            .sockets
            .iter()
            .filter(|s| s.fd.is_some())
            .map(|s| s.local.to_string())
            .collect();
        if !unused.is_empty() {
            tracing::info!(sockets = ?unused, "closing inherited sockets this program does not declare");
        }
        drop(self.sockets);
        writeln!(&self.stream, "{READY} {}", std::process::id())?;
        match read_line(&mut BufReader::new(&self.stream))? {
            Some(line) if line == BYE => Ok(()),
            other => Err(io::Error::other(format!(
                "the running process did not confirm ({other:?})"
            ))),
        }
    }
}

#[cfg(test)]
mod tests;
