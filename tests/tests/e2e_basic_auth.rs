//! `examples/basic_auth.pxy` through the whole chain, with a users file written in the test:
//! a bcrypt user and an argon2 user reach the origin with their name in `x-user` (and not the
//! `x-user` the client forged); a wrong password, an unknown user, a malformed header and no
//! header are answered 401 with `WWW-Authenticate: Basic realm="ops"` and never reach the
//! origin, and the log says why without the password; a changed users file is used within a
//! second or so, and a file with a bad line keeps the previous users.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHasher, SaltString};
use base64::Engine as _;
use pxy_tests::{build_file, free_addr, HttpClient, Origin, ProxyProcess};

/// bcrypt at cost 10 (htpasswd's default), as an operator would write it.
fn bcrypt_hash(password: &str) -> String {
    bcrypt::hash(password, 10).expect("bcrypt")
}

/// argon2id with the RFC 9106 / OWASP parameters (19 MiB, 2 passes).
fn argon2_hash(password: &str) -> String {
    let salt = SaltString::encode_b64(b"a salt of 16 b..").expect("salt");
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2")
        .to_string()
}

fn basic(user: &str, password: &str) -> String {
    let pair = format!("{user}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// Writes the users file the safe way: a new file renamed over the old.
fn write_users(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// The example (with free addresses) and its users file in a fresh directory.
fn setup(listen: &str, origin: &str) -> PathBuf {
    let dir = pxy_tests::scratch_dir("basic-auth");
    std::fs::create_dir_all(dir.join("users")).unwrap();
    let users = format!(
        "# admins\nalice:{}\nbob:{}\n",
        bcrypt_hash("wonderland"),
        argon2_hash("builder")
    );
    write_users(&dir.join("users/htpasswd.txt"), &users);
    let source =
        std::fs::read_to_string(pxy_tests::workspace_root().join("examples/basic_auth.pxy"))
            .unwrap()
            .replace("127.0.0.1:8080", listen)
            .replace("127.0.0.1:9001", origin);
    std::fs::write(dir.join("basic_auth.pxy"), source).unwrap();
    dir
}

/// The `x-user` values the origin's last request had.
fn seen_users(origin: &Origin) -> Vec<String> {
    let seen = origin.requests().pop().expect("the origin got the request");
    seen.headers
        .into_iter()
        .filter(|(n, _)| n == "x-user")
        .map(|(_, v)| v)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_of_the_file_pass_and_others_are_challenged() {
    let (listen, origin_addr) = (free_addr(), free_addr());
    let origin = Origin::start("app", origin_addr).await;
    let dir = setup(&listen.to_string(), &origin_addr.to_string());
    let bin = build_file(&dir.join("basic_auth.pxy"));
    let mut proxy = ProxyProcess::start(&bin, &["--threads", "1"], 1);
    let client = HttpClient::http1();
    let admin = format!("http://{listen}/admin/panel");

    // bcrypt and argon2 users pass; the origin sees the user, not the forged header.
    for (user, password) in [("alice", "wonderland"), ("bob", "builder")] {
        let auth = basic(user, password);
        let reply = client
            .get(&admin, &[("authorization", &auth), ("x-user", "mallory")])
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(seen_users(&origin), [user]);
    }
    // Outside the protected route, no user: the program's default.
    let reply = client
        .get(&format!("http://{listen}/"), &[("x-user", "mallory")])
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(seen_users(&origin), ["anonymous"]);
    let passed = origin.requests().len();

    // Refused: 401 with the Basic challenge, and nothing reaches the origin.
    let refused = [
        (Some(basic("alice", "looking-glass")), "wrong_password"),
        (Some(basic("bob", "wonderland")), "wrong_password"),
        (Some(basic("carol", "wonderland")), "unknown_user"),
        (Some("Basic not*base64".to_owned()), "malformed"),
        (None, "missing"),
    ];
    for (auth, reason) in &refused {
        let headers: Vec<(&str, &str)> =
            auth.iter().map(|a| ("authorization", a.as_str())).collect();
        let reply = client.get(&admin, &headers).await;
        assert_eq!(reply.status, 401, "{reason}");
        assert_eq!(
            reply.header("www-authenticate"),
            Some("Basic realm=\"ops\", charset=\"UTF-8\""),
            "{reason}"
        );
    }
    assert_eq!(
        origin.requests().len(),
        passed,
        "a refused request reached the origin"
    );

    // The log says why, and never holds a password.
    let log = proxy.log_text();
    for (_, reason) in &refused {
        assert!(
            log.contains(&format!("reason=\"{reason}\"")),
            "no {reason} in:\n{log}"
        );
    }
    for secret in ["looking-glass", "wonderland", "builder"] {
        assert!(!log.contains(secret), "the log holds a password:\n{log}");
    }
    let refusals = log
        .lines()
        .filter(|l| l.contains("credentials refused"))
        .count();
    assert_eq!(refusals, refused.len(), "{log}");

    // A changed file is used within about a second (the watch looks every second).
    let users = dir.join("users/htpasswd.txt");
    write_users(&users, &format!("alice:{}\n", bcrypt_hash("rabbit-hole")));
    let (new, old) = (basic("alice", "rabbit-hole"), basic("alice", "wonderland"));
    let started = Instant::now();
    while client.get(&admin, &[("authorization", &new)]).await.status != 200 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the new users file is not used"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(1600),
        "the new file took {took:?}"
    );
    // The old password no longer passes, though it was verified (and cached) before.
    assert_eq!(
        client.get(&admin, &[("authorization", &old)]).await.status,
        401
    );
    let bob = basic("bob", "builder");
    assert_eq!(
        client.get(&admin, &[("authorization", &bob)]).await.status,
        401,
        "a removed user passed"
    );

    // A bad line keeps the previous users and names the line.
    write_users(&users, &format!("alice:{}\nbob\n", bcrypt_hash("x")));
    let deadline = Instant::now() + Duration::from_secs(5);
    while !proxy.log_text().contains("keeping the previous users") {
        assert!(
            Instant::now() < deadline,
            "the bad users file was not noticed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(proxy.log_text().contains("line 2"), "{}", proxy.log_text());
    assert_eq!(
        client.get(&admin, &[("authorization", &new)]).await.status,
        200
    );

    proxy.terminate(Duration::from_secs(10));
    drop(origin);
    let _ = std::fs::remove_dir_all(&dir);
}
