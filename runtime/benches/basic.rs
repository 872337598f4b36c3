//! Cost of `verify_basic` on the request path, as the generated code runs it: the
//! `Authorization: Basic` header decoded and the password checked against the user's hash of
//! the users file, on the blocking pool. Hashes are made as operators make them: bcrypt at
//! cost 10 (`htpasswd -B`'s default) and argon2id with its RFC 9106 / OWASP parameters
//! (19 MiB, 2 passes). Three cases: credentials the verifier checked before (the bounded
//! cache of verified credentials answers), the first check of a user's credentials (the
//! hash is computed), and a wrong password (always computed: only successes are cached).

use std::hint::black_box;
use std::time::Duration;

use argon2::password_hash::{PasswordHasher, SaltString};
use base64::Engine as _;
use criterion::{criterion_group, criterion_main, Criterion};
use pxy_runtime::basic::{BasicConfig, BasicVerifier};
use pxy_runtime::prelude::Session;

fn session(user: &str, password: &str) -> Session {
    let pair = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let req = http::Request::get("/admin/")
        .header("authorization", format!("Basic {pair}"))
        .body(())
        .expect("request");
    Session::new_synthetic(req, "127.0.0.1:40000".parse().expect("addr"))
}

fn verifier(users: &std::path::Path, cache_entries: usize) -> BasicVerifier {
    BasicVerifier::new(BasicConfig {
        cache_entries,
        ..BasicConfig::new("bench", users.to_str().expect("utf-8 path"), "ops")
    })
    .expect("verifier")
}

fn verify(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("pxy-bench-basic-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let argon = argon2::Argon2::default()
        .hash_password(
            b"builder",
            &SaltString::encode_b64(b"a salt of 16 b..").expect("salt"),
        )
        .expect("argon2")
        .to_string();
    let users = dir.join("users.txt");
    let text = format!(
        "alice:{}\nbob:{argon}\n",
        bcrypt::hash("wonderland", 10).expect("bcrypt")
    );
    std::fs::write(&users, text).expect("users file");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let cached = verifier(&users, pxy_runtime::basic::DEFAULT_CACHE_ENTRIES);
    let uncached = verifier(&users, 0);
    let check = |verifier: &BasicVerifier, mut session: Session| {
        runtime.block_on(async { verifier.verify(black_box(&mut session)).await.is_none() })
    };

    let mut group = c.benchmark_group("verify_basic");
    for (name, user, password) in [
        ("bcrypt10", "alice", "wonderland"),
        ("argon2id", "bob", "builder"),
    ] {
        assert!(check(&cached, session(user, password)), "{name} passes");
        group.bench_function(format!("{name}_verified_before"), |b| {
            b.iter(|| check(&cached, session(user, password)))
        });
    }
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));
    for (name, user, password) in [
        ("bcrypt10", "alice", "wonderland"),
        ("argon2id", "bob", "builder"),
    ] {
        group.bench_function(format!("{name}_first_check"), |b| {
            b.iter(|| assert!(check(&uncached, session(user, password))))
        });
        group.bench_function(format!("{name}_wrong_password"), |b| {
            b.iter(|| assert!(!check(&cached, session(user, "guess"))))
        });
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, verify);
criterion_main!(benches);
