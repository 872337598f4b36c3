//! Cost of `verify_jwt` on the request path: one token verified (RS256 with a 2048-bit key,
//! ES256, EdDSA, HS256) from the `Authorization` header of a session, its claims parsed and
//! left in the session, as the generated code does it. Keys are made by `openssl` for the run.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::{criterion_group, criterion_main, Criterion};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use pxy_runtime::jwt::{JwtAlgorithm, JwtConfig, JwtKeySource, JwtVerifier};
use pxy_runtime::prelude::Session;

/// A key pair made by `openssl genpkey ARGS`: the private key and the public key's path.
fn keypair(dir: &Path, name: &str, args: &[&str]) -> (Vec<u8>, PathBuf) {
    let (key, public) = (
        dir.join(format!("{name}.pem")),
        dir.join(format!("{name}.pub.pem")),
    );
    let ok = Command::new("openssl")
        .stderr(Stdio::null())
        .arg("genpkey")
        .args(args)
        .arg("-out")
        .arg(&key)
        .status();
    assert!(ok.expect("openssl").success());
    let ok = Command::new("openssl")
        .stderr(Stdio::null())
        .args(["pkey", "-pubout", "-in"])
        .arg(&key)
        .arg("-out")
        .arg(&public)
        .status();
    assert!(ok.expect("openssl").success());
    (std::fs::read(&key).expect("key"), public)
}

fn config(keys: JwtKeySource) -> JwtConfig {
    JwtConfig {
        name: "bench".into(),
        keys,
        issuer: Some("https://id.example".into()),
        audience: Some("api".into()),
        leeway: Duration::from_secs(60),
        cookie: None,
    }
}

fn token(alg: Algorithm, key: &EncodingKey) -> String {
    let exp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 3600;
    let claims = serde_json::json!({
        "sub": "user-4f1c2a9e", "iss": "https://id.example", "aud": "api", "exp": exp,
        "iat": exp - 3600, "tenant": "t1", "scope": "read write",
    });
    encode(&Header::new(alg), &claims, key).expect("sign")
}

fn session(token: &str) -> Session {
    let req = http::Request::get("/api/items")
        .header("authorization", format!("Bearer {token}"))
        .body(())
        .expect("request");
    Session::new_synthetic(req, "127.0.0.1:40000".parse().expect("addr"))
}

fn verify(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("pxy-bench-jwt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let (rsa, rsa_pub) = keypair(
        &dir,
        "rsa",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    );
    let (ec, ec_pub) = keypair(
        &dir,
        "ec",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    );
    let (ed, ed_pub) = keypair(&dir, "ed", &["-algorithm", "ED25519"]);
    let secret_file = dir.join("hs.key");
    std::fs::write(&secret_file, "a secret of thirty-two bytes or more").expect("secret");
    let cases = [
        (
            "rs256",
            JwtKeySource::Pem(rsa_pub, JwtAlgorithm::Rs256),
            Algorithm::RS256,
            EncodingKey::from_rsa_pem(&rsa),
        ),
        (
            "es256",
            JwtKeySource::Pem(ec_pub, JwtAlgorithm::Es256),
            Algorithm::ES256,
            EncodingKey::from_ec_pem(&ec),
        ),
        (
            "eddsa",
            JwtKeySource::Pem(ed_pub, JwtAlgorithm::EdDsa),
            Algorithm::EdDSA,
            EncodingKey::from_ed_pem(&ed),
        ),
        (
            "hs256",
            JwtKeySource::Secret(secret_file),
            Algorithm::HS256,
            EncodingKey::from_secret(b"a secret of thirty-two bytes or more"),
        ),
    ];
    let mut group = c.benchmark_group("verify_jwt");
    for (name, source, alg, key) in cases {
        let verifier = JwtVerifier::new(config(source)).expect("verifier");
        let token = token(alg, &key.expect("signing key"));
        let mut s = session(&token);
        assert!(verifier.verify(&mut s).is_none(), "{name} token verifies");
        group.bench_function(name, |b| {
            b.iter(|| black_box(verifier.verify(black_box(&mut s)).is_none()))
        });
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, verify);
criterion_main!(benches);
