//! `examples/jwt.pxy` through the whole chain, with keys made by `openssl` and tokens signed
//! in the test: a valid token reaches the origin with its `sub` in `x-user` (and not the
//! `x-user` the client forged); expired, wrong-audience, badly signed and unknown-key tokens
//! are answered 401 with `WWW-Authenticate` and never reach the origin, and the log says why
//! without the token; a replaced JWKS file is used within seconds, a broken one is not.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use pxy_tests::{build_file, free_addr, HttpClient, Origin, ProxyProcess};
use serde_json::json;

/// A private key made by `openssl genpkey` (`-algorithm RSA`, `EC`, `ED25519`), as PKCS#8
/// PEM, and its public key beside it as `NAME.pub.pem`.
fn genpkey(dir: &Path, name: &str, args: &[&str]) -> Vec<u8> {
    let key = dir.join(format!("{name}.pem"));
    let status = Command::new("openssl")
        .stderr(Stdio::null())
        .arg("genpkey")
        .args(args)
        .arg("-out")
        .arg(&key)
        .status()
        .expect("run openssl");
    assert!(status.success(), "openssl genpkey {args:?}");
    let status = Command::new("openssl")
        .stderr(Stdio::null())
        .args(["pkey", "-pubout", "-in"])
        .arg(&key)
        .arg("-out")
        .arg(dir.join(format!("{name}.pub.pem")))
        .status()
        .expect("run openssl");
    assert!(status.success(), "openssl pkey -pubout");
    std::fs::read(key).expect("read the key")
}

fn rsa(dir: &Path, name: &str) -> EncodingKey {
    let pem = genpkey(
        dir,
        name,
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    );
    EncodingKey::from_rsa_pem(&pem).expect("RSA key")
}

fn ec(dir: &Path, name: &str) -> EncodingKey {
    let pem = genpkey(
        dir,
        name,
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    );
    EncodingKey::from_ec_pem(&pem).expect("EC key")
}

/// The public half of `key` as a JWK with `kid`.
fn jwk(key: &EncodingKey, alg: Algorithm, kid: &str) -> Jwk {
    let mut jwk = Jwk::from_encoding_key(key, alg).expect("public JWK");
    jwk.common.key_id = Some(kid.into());
    jwk
}

/// Writes a key set the way an operator should: a new file renamed over the old.
fn write_jwks(path: &Path, keys: Vec<Jwk>) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec(&JwkSet { keys }).unwrap()).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn claims(sub: &str) -> serde_json::Value {
    json!({"sub": sub, "iss": "https://id.example", "aud": "api", "exp": now() + 300, "tenant": "t1"})
}

fn sign(
    key: &EncodingKey,
    alg: Algorithm,
    kid: Option<&str>,
    claims: &serde_json::Value,
) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    encode(&header, claims, key).expect("sign")
}

struct Setup {
    dir: PathBuf,
    rsa: EncodingKey,
    ec: EncodingKey,
    ed: EncodingKey,
}

/// Keys, key files and the example (with free addresses) in a fresh directory.
fn setup(listen: &str, origin: &str) -> Setup {
    let dir = pxy_tests::scratch_dir("jwt");
    let keys = dir.join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let rsa = rsa(&keys, "rsa1");
    let ec = ec(&keys, "ec1");
    let ed_pem = genpkey(&keys, "ed25519", &["-algorithm", "ED25519"]);
    let ed = EncodingKey::from_ed_pem(&ed_pem).expect("Ed25519 key");
    std::fs::write(
        keys.join("hs256.key"),
        "an HS256 secret of at least 32 bytes\n",
    )
    .unwrap();
    write_jwks(
        &keys.join("jwks.json"),
        vec![
            jwk(&rsa, Algorithm::RS256, "rsa1"),
            jwk(&ec, Algorithm::ES256, "ec1"),
        ],
    );
    let source = std::fs::read_to_string(pxy_tests::workspace_root().join("examples/jwt.pxy"))
        .unwrap()
        .replace("127.0.0.1:8080", listen)
        .replace("127.0.0.1:9001", origin);
    std::fs::write(dir.join("jwt.pxy"), source).unwrap();
    Setup { dir, rsa, ec, ed }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_verified_and_their_subject_reaches_the_origin() {
    let (listen, origin_addr) = (free_addr(), free_addr());
    let origin = Origin::start("app", origin_addr).await;
    let s = setup(&listen.to_string(), &origin_addr.to_string());
    let bin = build_file(&s.dir.join("jwt.pxy"));
    let mut proxy = ProxyProcess::start(&bin, &["--threads", "1"], 1);
    let client = HttpClient::http1();
    let api = format!("http://{listen}/api/items");
    let bearer = |t: &str| format!("Bearer {t}");

    // Valid RS256 and ES256 tokens pass; the origin sees the subject, not the forged header.
    let rs = sign(&s.rsa, Algorithm::RS256, Some("rsa1"), &claims("alice"));
    let es = sign(&s.ec, Algorithm::ES256, Some("ec1"), &claims("bob"));
    for (token, user) in [(&rs, "alice"), (&es, "bob")] {
        let auth = bearer(token);
        let reply = client
            .get(&api, &[("authorization", &auth), ("x-user", "mallory")])
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let seen = origin.requests().pop().expect("the origin got the request");
        let users: Vec<&str> = seen
            .headers
            .iter()
            .filter(|(n, _)| n == "x-user")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(users, [user]);
        assert!(seen
            .headers
            .iter()
            .any(|(n, v)| n == "x-tenant" && v == "t1"));
    }
    let passed = origin.requests().len();

    // Refused tokens: 401 with an RFC 6750 challenge, and nothing reaches the origin.
    let mut expired = claims("alice");
    expired["exp"] = json!(now() - 60);
    let mut other_audience = claims("alice");
    other_audience["aud"] = json!("billing");
    let intruder = rsa(&s.dir, "intruder");
    let refused = [
        (
            sign(&s.rsa, Algorithm::RS256, Some("rsa1"), &expired),
            "expired",
            "the token expired",
        ),
        (
            sign(&s.rsa, Algorithm::RS256, Some("rsa1"), &other_audience),
            "wrong_audience",
            "wrong audience",
        ),
        (
            sign(&intruder, Algorithm::RS256, Some("rsa1"), &claims("alice")),
            "bad_signature",
            "signature is invalid",
        ),
        (
            sign(&s.rsa, Algorithm::RS256, Some("rsa9"), &claims("alice")),
            "unknown_key_id",
            "key is unknown",
        ),
        ("not-a-token".to_string(), "malformed", "malformed"),
    ];
    for (token, _, description) in &refused {
        let auth = bearer(token);
        let reply = client.get(&api, &[("authorization", &auth)]).await;
        assert_eq!(reply.status, 401);
        let challenge = reply.header("www-authenticate").expect("a challenge");
        assert!(
            challenge.starts_with("Bearer error=\"invalid_token\""),
            "{challenge}"
        );
        assert!(challenge.contains(description), "{challenge}");
    }
    let reply = client.get(&api, &[]).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    assert_eq!(
        origin.requests().len(),
        passed,
        "a refused request reached the origin"
    );

    // The log says why, and never holds a token.
    let log = proxy.log_text();
    for (token, reason, _) in &refused {
        assert!(
            log.contains(&format!("reason=\"{reason}\"")),
            "no {reason} in:\n{log}"
        );
        assert!(
            !log.contains(token.as_str()),
            "the log holds a token:\n{log}"
        );
    }
    assert!(!log.contains(&rs) && !log.contains(&es));
    // Each refusal names its request, whose access line says 401.
    let refusals: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("token refused"))
        .collect();
    assert_eq!(refusals.len(), refused.len() + 1, "{log}");
    for line in refusals {
        let id = line
            .split("request_id=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("no request id in {line}"));
        let quoted = format!("request_id=\"{id}\"");
        assert!(
            log.lines().any(|l| l.contains("pxy::access")
                && l.contains("status=401")
                && l.contains(&quoted)),
            "no access line for {id}:\n{log}"
        );
    }

    // EdDSA with a PEM key, HS256 with a secret from a cookie.
    let machine = sign(
        &s.ed,
        Algorithm::EdDSA,
        None,
        &json!({"sub": "robot", "exp": now() + 60}),
    );
    let auth = bearer(&machine);
    let machines = format!("http://{listen}/machines/x");
    assert_eq!(
        client
            .get(&machines, &[("authorization", &auth)])
            .await
            .status,
        200
    );
    let hs = EncodingKey::from_secret(b"an HS256 secret of at least 32 bytes").unwrap();
    let legacy = sign(
        &hs,
        Algorithm::HS256,
        None,
        &json!({"sub": "carol", "exp": now() + 60}),
    );
    let cookie = format!("token={legacy}");
    let legacy_url = format!("http://{listen}/legacy/x");
    assert_eq!(
        client.get(&legacy_url, &[("cookie", &cookie)]).await.status,
        200
    );
    let seen = origin.requests().pop().unwrap();
    assert!(seen
        .headers
        .iter()
        .any(|(n, v)| n == "x-user" && v == "carol"));

    // Key rotation: a new key set is used within seconds; a broken one is not.
    let jwks = s.dir.join("keys/jwks.json");
    let rsa2 = rsa(&s.dir, "rsa2");
    write_jwks(&jwks, vec![jwk(&rsa2, Algorithm::RS256, "rsa2")]);
    let rotated = bearer(&sign(
        &rsa2,
        Algorithm::RS256,
        Some("rsa2"),
        &claims("dave"),
    ));
    let started = Instant::now();
    loop {
        let reply = client.get(&api, &[("authorization", &rotated)]).await;
        if reply.status == 200 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the new key set is not used"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(2500),
        "the new key took {took:?}"
    );
    let old = bearer(&rs);
    assert_eq!(
        client.get(&api, &[("authorization", &old)]).await.status,
        401
    );

    std::fs::write(&jwks, "{ not json").unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !proxy.log_text().contains("keeping the previous keys") {
        assert!(
            Instant::now() < deadline,
            "the broken key set was not noticed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        client
            .get(&api, &[("authorization", &rotated)])
            .await
            .status,
        200
    );

    proxy.terminate(Duration::from_secs(10));
    drop(origin);
    let _ = std::fs::remove_dir_all(&s.dir);
}
