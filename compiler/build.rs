//! Embeds the runtime's sources (and the workspace's dependency versions and lock file) in the
//! compiler, so that an installed `proxyc` can build proxies without the source tree: the build
//! driver writes them out once per version into its target directory.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets this"));
    let root = manifest
        .parent()
        .expect("compiler/ is inside the workspace")
        .to_path_buf();
    let mut files = Vec::new();
    for name in ["Cargo.toml", "Cargo.lock"] {
        files.push((name.to_string(), root.join(name)));
    }
    files.push(("runtime/Cargo.toml".into(), root.join("runtime/Cargo.toml")));
    collect(&root.join("runtime/src"), "runtime/src", &mut files);
    files.sort();

    let mut out = String::from("/// Files of the workspace needed to build generated proxies: (relative path, contents).\npub(crate) const RUNTIME_FILES: &[(&str, &str)] = &[\n");
    for (rel, abs) in &files {
        println!("cargo:rerun-if-changed={}", abs.display());
        writeln!(
            out,
            "    ({rel:?}, include_str!({:?})),",
            abs.display().to_string()
        )
        .expect("write to String");
    }
    out.push_str("];\n");
    println!(
        "cargo:rerun-if-changed={}",
        root.join("runtime/src").display()
    );
    let dest =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets this")).join("runtime_files.rs");
    std::fs::write(dest, out).expect("write runtime_files.rs");
}

fn collect(dir: &Path, rel: &str, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(&path, &format!("{rel}/{name}"), files);
        } else if name.ends_with(".rs") || name.ends_with(".html") {
            // `.html`: pages the runtime embeds with `include_str!` (the admin status page).
            files.push((format!("{rel}/{name}"), path));
        }
    }
}
