use std::sync::mpsc;

use super::*;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pxy-handover-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir.join("upgrade.sock")
}

fn listener() -> (std::net::TcpListener, SocketAddr) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("address");
    (l, addr)
}

#[test]
fn a_ready_successor_gets_the_sockets_and_the_old_side_is_told() {
    let path = scratch("ready");
    let (a, a_addr) = listener();
    let (b, b_addr) = listener();
    let declared_b: SocketAddr = "127.0.0.1:0".parse().expect("address");
    let sockets = vec![
        Socket::of(Kind::Listen, a_addr, &a).expect("offer a"),
        Socket::of(Kind::Admin, declared_b, &b).expect("offer b"),
    ];
    let (tx, rx) = mpsc::channel();
    let offer = offer(path.clone(), sockets, move |pid| {
        tx.send(pid).expect("send")
    })
    .expect("offer");

    let mut inherited = request(std::slice::from_ref(&path)).expect("request");
    assert_eq!(inherited.old_pid(), std::process::id() as i32);
    assert!(
        inherited.take(Kind::Admin, a_addr).is_none(),
        "kinds are kept apart"
    );
    let got_a = inherited
        .take(Kind::Listen, a_addr)
        .expect("the listener, by address");
    assert!(inherited.take(Kind::Listen, a_addr).is_none(), "taken once");
    let got_b = inherited
        .take(Kind::Admin, b_addr)
        .expect("the admin one, by its bound address");
    assert_eq!(got_a.local_addr().expect("address"), a_addr);
    assert_eq!(got_b.local_addr().expect("address"), b_addr);
    // Still the same sockets: a connection to the old address is accepted by the new copy.
    let _client = std::net::TcpStream::connect(a_addr).expect("connect");
    got_a
        .accept()
        .expect("accepted through the inherited socket");

    assert!(rx.try_recv().is_err(), "not taken before READY");
    inherited.ready().expect("confirmed");
    assert_eq!(rx.recv_timeout(TIMEOUT).expect("taken"), std::process::id());
    // The hand-over socket file is still the old one's here (no successor replaced it), so
    // dropping the offer removes it.
    assert!(path.exists());
    drop(offer);
    assert!(!path.exists());
}

#[test]
fn a_successor_that_leaves_before_ready_changes_nothing() {
    let path = scratch("leaves");
    let (a, a_addr) = listener();
    let (tx, rx) = mpsc::channel();
    let _offer = offer(
        path.clone(),
        vec![Socket::of(Kind::Listen, a_addr, &a).expect("offer")],
        move |pid| tx.send(pid).expect("send"),
    )
    .expect("offer");
    let first = request(std::slice::from_ref(&path)).expect("request");
    drop(first);
    // The old side still answers the next one, and still has its own listener.
    let mut second = request(std::slice::from_ref(&path)).expect("a second request");
    assert!(second.take(Kind::Listen, a_addr).is_some());
    assert!(rx.try_recv().is_err(), "nobody said READY");
    let _client = std::net::TcpStream::connect(a_addr).expect("connect");
    a.accept().expect("the old listener still accepts");
}

#[test]
fn the_offer_leaves_a_successors_socket_file_alone() {
    let path = scratch("replaced");
    let (a, a_addr) = listener();
    let first = offer(
        path.clone(),
        vec![Socket::of(Kind::Listen, a_addr, &a).expect("s")],
        |_| {},
    )
    .expect("first offer");
    let second = offer(path.clone(), Vec::new(), |_| {}).expect("second offer");
    drop(first);
    assert!(path.exists(), "the successor's socket stays");
    drop(second);
    assert!(!path.exists());
}

#[test]
fn no_running_process_is_a_clear_error() {
    let path = scratch("none");
    let err = request(std::slice::from_ref(&path)).expect_err("nobody there");
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert!(
        err.to_string().contains("no running proxy to upgrade"),
        "{err}"
    );
}

#[test]
fn default_paths_are_private_and_per_address() {
    let a = default_path("127.0.0.1:8080".parse().expect("address")).expect("path");
    let b = default_path("127.0.0.1:8081".parse().expect("address")).expect("path");
    assert_ne!(a, b);
    assert!(
        a.to_string_lossy().ends_with("upgrade-127.0.0.1-8080.sock"),
        "{}",
        a.display()
    );
    let dir = a.parent().expect("a directory");
    let mode = std::fs::metadata(dir).expect("exists").permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
}

#[test]
fn whole_payloads_are_recognised() {
    assert!(!is_whole(b"PXY-SOCKETS 1 2\nlisten a b\n"));
    assert!(is_whole(b"PXY-SOCKETS 1 2\nlisten a b\nadmin c d\n"));
    assert!(is_whole(b"PXY-SOCKETS 1 0\n"));
    assert!(!is_whole(b"PXY-SOCK"));
    assert!(is_whole(b"garbage\n"));
}
