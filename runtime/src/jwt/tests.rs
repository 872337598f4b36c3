use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{encode, EncodingKey, Header};
use serde_json::json;

use super::*;

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn verifier(dir: &tempdir::Dir) -> JwtVerifier {
    let path = dir.path().join("hs.key");
    std::fs::write(&path, [SECRET, b"\n"].concat()).unwrap();
    JwtVerifier::new(JwtConfig {
        name: "api".into(),
        keys: JwtKeySource::Secret(path),
        issuer: Some("https://id.example".into()),
        audience: Some("api".into()),
        leeway: Duration::from_secs(5),
        cookie: Some("token".into()),
    })
    .unwrap()
}

fn token(claims: serde_json::Value, secret: &[u8]) -> String {
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(secret).unwrap(),
    )
    .unwrap()
}

fn good_claims() -> serde_json::Value {
    json!({"sub": "alice", "iss": "https://id.example", "aud": "api", "exp": now() + 60, "n": 7, "admin": true})
}

fn session(header: Option<(&str, String)>) -> Session {
    let mut req = http::Request::builder().uri("/x");
    if let Some((name, value)) = header {
        req = req.header(name, value);
    }
    Session::new_synthetic(req.body(()).unwrap(), "127.0.0.1:1".parse().unwrap())
}

fn refusal(v: &JwtVerifier, claims: serde_json::Value, secret: &[u8]) -> String {
    let mut s = session(Some((
        "authorization",
        format!("Bearer {}", token(claims, secret)),
    )));
    let answer = v.verify(&mut s).expect("refused");
    assert_eq!(s.jwt_sub(), None);
    let challenge = answer.headers().get(WWW_AUTHENTICATE).unwrap();
    challenge.to_str().unwrap().to_owned()
}

/// A temporary directory removed on drop (the runtime has no tempfile dependency).
mod tempdir {
    pub struct Dir(std::path::PathBuf);
    impl Dir {
        pub fn new(name: &str) -> Dir {
            let p = std::env::temp_dir().join(format!("pxy-jwt-{name}-{}", std::process::id()));
            std::fs::create_dir_all(&p).unwrap();
            Dir(p)
        }
        pub fn path(&self) -> &std::path::Path {
            &self.0
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[test]
fn a_valid_token_leaves_its_claims_in_the_session() {
    let dir = tempdir::Dir::new("valid");
    let v = verifier(&dir);
    let token = token(good_claims(), SECRET);
    // From the header, or from the cookie when there is no header.
    for header in [
        ("authorization", format!("Bearer {token}")),
        ("cookie", format!("a=b; token={token}")),
    ] {
        let mut s = session(Some(header));
        assert!(v.verify(&mut s).is_none());
        assert_eq!(s.jwt_sub(), Some("alice"));
        assert_eq!(s.jwt_claim("n").as_deref(), Some("7"));
        assert_eq!(s.jwt_claim("admin").as_deref(), Some("true"));
        assert_eq!(s.jwt_claim("nope"), None);
    }
}

#[test]
fn each_refusal_says_why_in_its_challenge() {
    let dir = tempdir::Dir::new("refused");
    let v = verifier(&dir);
    let with = |k: &str, value: serde_json::Value| {
        let mut c = good_claims();
        c[k] = value;
        c
    };
    let cases = [
        (with("exp", json!(now() - 60)), SECRET, "expired"),
        (with("nbf", json!(now() + 60)), SECRET, "not valid yet"),
        (
            with("iss", json!("https://evil.example")),
            SECRET,
            "wrong issuer",
        ),
        (with("aud", json!("other")), SECRET, "wrong audience"),
        (
            good_claims(),
            b"another secret of thirty-two bytes!!".as_slice(),
            "signature is invalid",
        ),
    ];
    for (claims, secret, words) in cases {
        let challenge = refusal(&v, claims, secret);
        assert!(
            challenge.starts_with("Bearer error=\"invalid_token\""),
            "{challenge}"
        );
        assert!(challenge.contains(words), "{challenge} should say {words}");
    }
    let mut s = session(None);
    let answer = v.verify(&mut s).expect("refused");
    assert_eq!(answer.headers().get(WWW_AUTHENTICATE).unwrap(), "Bearer");
    let mut s = session(Some(("authorization", "Bearer not.a.token".into())));
    assert!(v.verify(&mut s).is_some());
}

#[test]
fn the_leeway_lets_a_just_expired_token_pass() {
    let dir = tempdir::Dir::new("leeway");
    let v = verifier(&dir);
    let mut claims = good_claims();
    claims["exp"] = json!(now() - 2);
    let mut s = session(Some((
        "authorization",
        format!("Bearer {}", token(claims, SECRET)),
    )));
    assert!(v.verify(&mut s).is_none());
}

#[test]
fn a_short_secret_or_a_missing_file_stops_the_start() {
    let dir = tempdir::Dir::new("short");
    let path = dir.path().join("hs.key");
    std::fs::write(&path, "short\n").unwrap();
    let config = |keys| JwtConfig {
        name: "api".into(),
        keys,
        issuer: None,
        audience: None,
        leeway: Duration::from_secs(60),
        cookie: None,
    };
    let e = JwtVerifier::new(config(JwtKeySource::Secret(path.clone()))).unwrap_err();
    assert!(e.to_string().contains("32 bytes"), "{e}");
    let missing = dir.path().join("nope.json");
    let e = JwtVerifier::new(config(JwtKeySource::Jwks(missing))).unwrap_err();
    assert!(e.to_string().contains("nope.json"), "{e}");
}
