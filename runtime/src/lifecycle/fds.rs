//! Passing file descriptors between processes over a Unix stream socket (`SCM_RIGHTS`).
//!
//! Built on `nix`'s `sendmsg`/`recvmsg` with `ControlMessage::ScmRights`, as Pingora's
//! `transfer_fd` is: `nix` is the most used and best kept safe wrapper of these calls, and
//! the runtime needs it for `fork`/`setsid` (daemon mode) anyway. Crates made only for fd
//! passing (`sendfd`, `passfd`) wrap the same two calls with less use behind them.
//!
//! One message is a text payload (the caller's) with the descriptors attached to its first
//! byte. The receiver reads until the payload is whole, keeping every descriptor that comes
//! with any read, received close-on-exec.

use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;

use nix::sys::socket::{recvmsg, sendmsg, ControlMessage, ControlMessageOwned, MsgFlags};

/// The most descriptors one message carries (Linux's `SCM_MAX_FD` is 253).
pub(crate) const MAX_FDS: usize = 64;

/// Sends `payload` with `fds` attached, then the rest of `payload` if one call did not take
/// it all.
pub(crate) fn send(stream: &UnixStream, payload: &[u8], fds: &[RawFd]) -> io::Result<()> {
    if fds.len() > MAX_FDS {
        return Err(io::Error::other(format!(
            "{} sockets to hand over; at most {MAX_FDS}",
            fds.len()
        )));
    }
    let cmsg = [ControlMessage::ScmRights(fds)];
    let sent = sendmsg::<()>(
        stream.as_raw_fd(),
        &[IoSlice::new(payload)],
        &cmsg,
        MsgFlags::empty(),
        None,
    )
    .map_err(io::Error::from)?;
    use std::io::Write as _;
    (&*stream).write_all(&payload[sent..])
}

/// Reads from `stream` until `complete` says the bytes read so far are a whole payload,
/// collecting every descriptor received on the way.
///
/// # Errors
///
/// The stream's errors; `UnexpectedEof` if it ends before the payload is complete.
pub(crate) fn receive(
    stream: &UnixStream,
    complete: impl Fn(&[u8]) -> bool,
) -> io::Result<(Vec<u8>, Vec<OwnedFd>)> {
    let mut payload = Vec::new();
    let mut fds = Vec::new();
    let mut buf = [0u8; 4096];
    let mut space = nix::cmsg_space!([RawFd; MAX_FDS]);
    while !complete(&payload) {
        let (read, got) = {
            let mut iov = [IoSliceMut::new(&mut buf)];
            let msg = recvmsg::<()>(
                stream.as_raw_fd(),
                &mut iov,
                Some(&mut space),
                MsgFlags::MSG_CMSG_CLOEXEC,
            )
            .map_err(io::Error::from)?;
            let mut got = Vec::new();
            for cmsg in msg.cmsgs().map_err(io::Error::from)? {
                if let ControlMessageOwned::ScmRights(raw) = cmsg {
                    got.extend(raw);
                }
            }
            (msg.bytes, got)
        };
        // SAFETY: each descriptor was just received by this process and is owned by nobody
        // else here; wrapping it at once means it is closed if anything below fails.
        fds.extend(
            got.into_iter()
                .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }),
        );
        if read == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the hand-over connection closed mid-message",
            ));
        }
        payload.extend_from_slice(&buf[..read]);
    }
    Ok((payload, fds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read as _, Write as _};
    use std::os::fd::AsFd as _;

    #[test]
    fn descriptors_arrive_with_the_payload_and_still_work() {
        let (a, b) = UnixStream::pair().expect("a socket pair");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("address");
        let payload = b"one two three\n".repeat(500);
        let sender = std::thread::spawn(move || {
            send(&a, &payload, &[listener.as_fd().as_raw_fd()]).expect("send");
            payload.len()
        });
        let (got, fds) = receive(&b, |p| p.len() >= 14 * 500).expect("receive");
        assert_eq!(sender.join().expect("sender"), got.len());
        let [fd] = <[OwnedFd; 1]>::try_from(fds).expect("one descriptor");
        // The received descriptor is the same listening socket: a connection made to the
        // original address is accepted through it.
        let received = std::net::TcpListener::from(fd);
        assert_eq!(received.local_addr().expect("address"), addr);
        let mut client = std::net::TcpStream::connect(addr).expect("connect");
        let (mut server, _) = received.accept().expect("accept");
        client.write_all(b"ping").expect("write");
        let mut four = [0u8; 4];
        server.read_exact(&mut four).expect("read");
        assert_eq!(&four, b"ping");
    }

    #[test]
    fn a_closed_connection_is_an_error_not_a_short_payload() {
        let (a, b) = UnixStream::pair().expect("a socket pair");
        (&a).write_all(b"half").expect("write");
        drop(a);
        let err = receive(&b, |p| p.ends_with(b"\n")).expect_err("incomplete");
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }
}
