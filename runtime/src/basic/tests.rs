use argon2::password_hash::{PasswordHasher, SaltString};
use base64::Engine as _;

use super::*;

/// bcrypt at its lowest cost and argon2 with small parameters: the tests check logic, not speed.
fn bcrypt_hash(password: &str) -> String {
    bcrypt::hash(password, 4).unwrap()
}

fn argon2_hash(password: &str) -> String {
    let params = argon2::Params::new(1024, 1, 1, None).unwrap();
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
    argon
        .hash_password(password.as_bytes(), &salt)
        .unwrap()
        .to_string()
}

fn file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pxy-basic-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("users.txt");
    std::fs::write(&path, text).unwrap();
    path
}

fn verifier(path: std::path::PathBuf) -> BasicVerifier {
    BasicVerifier::new(BasicConfig {
        name: "admins".into(),
        users: path,
        realm: "ops".into(),
        cache_entries: 4,
    })
    .unwrap()
}

fn session(authorization: Option<String>) -> Session {
    let mut req = http::Request::builder().uri("/x");
    if let Some(value) = authorization {
        req = req.header("authorization", value);
    }
    Session::new_synthetic(req.body(()).unwrap(), "127.0.0.1:1".parse().unwrap())
}

fn basic(user: &str, password: &str) -> Option<String> {
    let pair = format!("{user}:{password}");
    Some(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    ))
}

fn run<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn bcrypt_and_argon2_users_pass_and_others_get_the_challenge() {
    let text = format!(
        "# admins\nalice:{}\n\nbob:{}\n",
        bcrypt_hash("wonderland"),
        argon2_hash("builder")
    );
    let path = file("pass", &text);
    let v = verifier(path.clone());
    run(async {
        for (user, password) in [("alice", "wonderland"), ("bob", "builder")] {
            let mut s = session(basic(user, password));
            assert!(v.verify(&mut s).await.is_none(), "{user} passes");
            assert_eq!(s.basic_user(), Some(user));
        }
        for auth in [
            None,
            Some("Bearer abc".to_owned()),
            Some("Basic !!!".to_owned()),
            basic("alice", "wrong"),
            basic("carol", "wonderland"),
            basic("bob", "wonderland"),
        ] {
            let mut s = session(auth.clone());
            let answer = v.verify(&mut s).await.expect("refused");
            assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
            assert_eq!(
                answer.headers().get(WWW_AUTHENTICATE).unwrap(),
                "Basic realm=\"ops\", charset=\"UTF-8\""
            );
            assert_eq!(s.basic_user(), None);
        }
    });
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn credentials_are_decoded_with_the_colon_in_the_password() {
    let s = session(basic("alice", "a:b"));
    assert_eq!(credentials(&s), Ok(("alice".into(), "a:b".into())));
    let s = session(Some("basic   YWxpY2U6eA== ".into()));
    assert_eq!(credentials(&s), Ok(("alice".into(), "x".into())));
    for (value, refusal) in [
        ("Basic YWxpY2U=", Refusal::Malformed), // no colon
        ("Basic OnB3", Refusal::Malformed),     // no user
        ("Basic", Refusal::Missing),
        ("Digest x", Refusal::Missing),
    ] {
        assert_eq!(
            credentials(&session(Some(value.into()))),
            Err(refusal),
            "{value}"
        );
    }
}

#[test]
fn a_bad_line_is_named_by_its_number() {
    let good = bcrypt_hash("x");
    for (text, line, why) in [
        (format!("a:{good}\nb\n"), 2, "not `user:hash`"),
        (format!("a:{good}\n\n:{good}\n"), 3, "no user name"),
        ("a:$1$md5crypt\n".to_owned(), 1, "not a bcrypt"),
        ("a:$2b$10$short\n".to_owned(), 1, "not a bcrypt hash"),
        (
            "a:$argon2id$v=19$garbage\n".to_owned(),
            1,
            "not an argon2 hash",
        ),
        (format!("a:{good}\na:{good}\n"), 2, "named twice"),
    ] {
        let (n, message) = Users::parse(&text).unwrap_err();
        assert_eq!(n, line, "{text}");
        assert!(message.contains(why), "{message}");
    }
    assert_eq!(Users::parse("# none\n\n").unwrap().len(), 0);
}

#[test]
fn the_cache_holds_successes_for_the_hash_they_matched() {
    let cache = VerifiedCache::new(2);
    let (a, b) = (
        PasswordHash::parse(&bcrypt_hash("a")).unwrap(),
        PasswordHash::parse(&bcrypt_hash("b")).unwrap(),
    );
    let key = cache::key("alice", "a");
    assert!(!cache.contains(&key, &a));
    cache.insert(key, a.clone());
    assert!(cache.contains(&key, &a));
    assert!(!cache.contains(&key, &b), "a changed hash does not match");
    assert_ne!(cache::key("alice", "a"), cache::key("alic", "ea"));
    cache.insert(cache::key("x", "1"), b.clone());
    cache.insert(cache::key("y", "2"), b.clone());
    assert!(!cache.contains(&key, &a), "bounded: the oldest went");
    cache.clear();
    assert!(!cache.contains(&cache::key("y", "2"), &b));
    assert!(!VerifiedCache::new(0).contains(&key, &a));
}

#[test]
fn a_changed_file_is_used_and_a_bad_one_keeps_the_users() {
    let path = file("reload", &format!("alice:{}\n", bcrypt_hash("one")));
    let v = verifier(path.clone());
    let passes = |password: &str| {
        let mut s = session(basic("alice", password));
        run(v.verify(&mut s)).is_none()
    };
    assert!(passes("one"));
    let wait_for = |want_two: bool| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            if passes("two") == want_two {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        false
    };
    let next = path.with_extension("new");
    std::fs::write(&next, format!("alice:{}\n", bcrypt_hash("two"))).unwrap();
    std::fs::rename(&next, &path).unwrap();
    assert!(wait_for(true), "the new password is used");
    assert!(!passes("one"), "the old one is not, from the cache either");
    std::fs::write(&next, "alice\n").unwrap();
    std::fs::rename(&next, &path).unwrap();
    std::thread::sleep(crate::jwt::watch::POLL_EVERY * 2 + std::time::Duration::from_millis(300));
    assert!(passes("two"), "a bad file keeps the previous users");
    drop(v);
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}
