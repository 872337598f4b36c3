//! The build driver: the only place that sequences the passes, and the only one that touches the
//! file system or runs cargo.
//!
//! `proxyc build` writes a small crate (the generated `main.rs` and a `Cargo.toml` naming the
//! runtime by path) and runs cargo with one persistent target directory, so the runtime and its
//! dependencies compile once and each new program compiles only its own crate. The runtime
//! sources are embedded in the compiler and written out once per version under the target
//! directory, so an installed `proxyc` needs no source tree. Only the most recently built
//! programs keep their artefacts there (`prune.rs`).

mod prune;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::cargo_run;
pub use crate::cargo_run::BuildProgress;
use crate::check::check;
use crate::codegen;
pub use crate::codegen::Entry;
use crate::files::{FileLoader, MemoryLoader};
use crate::identity::{file_sha256, Identity};
use crate::include;
use crate::problem::Problem;
use crate::sources::SourceMap;
use crate::typed::TypedProgram;

include!(concat!(env!("OUT_DIR"), "/runtime_files.rs"));

/// What checking a program found: every problem, and what the checker could type.
///
/// The typed program is handed on for code generation only when there is no error
/// ([`Checked::program`], [`Checked::into_program`]); an editor also reads the parts that
/// could be typed in a program with errors ([`Checked::partial`]), as the Gleam compiler's
/// language server does.
#[derive(Debug)]
pub struct Checked {
    /// What could be typed; `None` when the program could not be parsed or its includes read.
    typed: Option<TypedProgram>,
    /// Syntax, include and check problems, errors and warnings, in source order per pass.
    pub problems: Vec<Problem>,
}

impl Checked {
    /// True when a problem is an error (warnings do not count).
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| !p.is_warning())
    }

    /// The checked program, when it has no error.
    pub fn program(&self) -> Option<&TypedProgram> {
        self.typed.as_ref().filter(|_| !self.has_errors())
    }

    /// The checked program with its warnings, or every problem when there is an error.
    pub fn into_program(self) -> Result<(TypedProgram, Vec<Problem>), Vec<Problem>> {
        match self.typed {
            Some(program) if !self.problems.iter().any(|p| !p.is_warning()) => {
                Ok((program, self.problems))
            }
            _ => Err(self.problems),
        }
    }

    /// What the checker could type, errors or not: declarations and statements without a
    /// mistake in them, with their spans and types. For editors, never for code generation.
    pub fn partial(&self) -> Option<&TypedProgram> {
        self.typed.as_ref()
    }
}

/// A program read, expanded and checked: its files and what the checker found.
#[derive(Debug)]
pub struct Analysis {
    /// The main file and every included file.
    pub sources: SourceMap,
    /// Include, syntax and check problems, and the typed program.
    pub checked: Checked,
}

/// Reads a program: the main file's `text` (at `path`), its includes through `loader`, then
/// checks it. This is all `proxyc check` and an editor need.
pub fn analyse(path: &Path, text: String, loader: &dyn FileLoader) -> Analysis {
    let resolved = include::resolve(path, text, loader);
    let mut problems: Vec<Problem> = resolved.syntax.into_iter().map(Problem::from).collect();
    problems.extend(resolved.problems.into_iter().map(Problem::from));
    problems.sort_by_key(|p| p.span().map(|s| s.start));
    let typed = match resolved.program {
        Some(parsed) if !problems.iter().any(|p| !p.is_warning()) => {
            let checked = check(&parsed, &resolved.sources, loader);
            problems.extend(checked.problems.into_iter().map(Problem::from));
            Some(checked.program)
        }
        _ => None,
    };
    Analysis {
        sources: resolved.sources,
        checked: Checked { typed, problems },
    }
}

/// Parses and checks a source text on its own: an `include` in it cannot be read (E0310).
pub fn check_source(source: &str) -> Checked {
    analyse(Path::new(""), source.to_string(), &MemoryLoader::default()).checked
}

/// Generates the Rust source for a source text on its own, or returns its problems.
pub fn emit(source: &str, name: &str) -> Result<(String, Vec<Problem>), Vec<Problem>> {
    let identity = Identity::of(name, &SourceMap::single(format!("{name}.pxy"), source));
    generate(check_source(source), &identity, Entry::Serve)
}

/// The Rust source of a checked program with its warnings, or every problem.
pub fn generate(
    checked: Checked,
    identity: &Identity,
    entry: Entry,
) -> Result<(String, Vec<Problem>), Vec<Problem>> {
    let (program, warnings) = checked.into_program()?;
    Ok((codegen::generate(&program, identity, entry), warnings))
}

/// Where and how to build.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The cargo target directory shared by every build (the runtime compiles once here).
    pub target_dir: PathBuf,
    /// How the proxy is compiled.
    pub profile: Profile,
}

/// How a generated proxy is compiled (see [`PROFILES`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Optimised, with thin LTO across the runtime: what is deployed, and the default.
    Release,
    /// Optimised the same way without cross-crate LTO and with parallel code generation: the
    /// same program links in seconds instead of about a minute, for about 27% more CPU per
    /// request (benches/load.sh, HTTP/1.1: 26.3 against 20.7 µs). For development and
    /// staging (`proxyc build --quick`).
    Quick,
    /// The program's own crate not optimised, with debug assertions and overflow checks; the
    /// runtime optimised as in release. Builds in about 3 seconds once the runtime is
    /// compiled, for about 2.8 times the CPU per request of `quick` (`proxyc build --debug`;
    /// the test suite's profile).
    Debug,
}

impl Profile {
    /// cargo's name of the profile, which is also its output directory.
    fn cargo_name(self) -> &'static str {
        match self {
            Profile::Release => "release",
            Profile::Quick => "quick",
            Profile::Debug => "debug",
        }
    }
}

impl BuildOptions {
    /// The target directory from `PROXYC_TARGET_DIR`, else the user's cache directory.
    pub fn default_target_dir() -> PathBuf {
        if let Some(dir) = std::env::var_os("PROXYC_TARGET_DIR") {
            return PathBuf::from(dir);
        }
        let cache = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .unwrap_or_else(std::env::temp_dir);
        cache.join("proxyc").join("target")
    }
}

/// What a successful build produced.
#[derive(Debug)]
pub struct BuildReport {
    /// The binary's path.
    pub binary: PathBuf,
    /// The binary's SHA-256, in lower-case hex.
    pub sha256: String,
    /// The generated crate (kept, for `proxyc emit` and bug reports).
    pub crate_dir: PathBuf,
    /// Warnings found while checking.
    pub warnings: Vec<Problem>,
    /// Time spent in cargo.
    pub cargo_time: Duration,
}

/// Why a build failed.
#[derive(Debug)]
pub enum BuildError {
    /// The program has errors; nothing was built.
    Problems(Vec<Problem>),
    /// Reading the source or writing the crate failed.
    Io {
        /// What was being done.
        what: String,
        /// The I/O error.
        error: std::io::Error,
    },
    /// cargo could not be started.
    CargoMissing(std::io::Error),
    /// The generated crate did not compile: a bug in proxyc, not in the program.
    Cargo {
        /// cargo's output.
        log: String,
        /// The generated source, kept for the bug report.
        generated: PathBuf,
    },
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::Problems(p) => write!(f, "the program has {} error(s)", p.iter().filter(|p| !p.is_warning()).count()),
            BuildError::Io { what, error } => write!(f, "{what}: {error}"),
            BuildError::CargoMissing(e) => write!(f, "could not run cargo (is a Rust toolchain installed?): {e}"),
            BuildError::Cargo { log, generated } => write!(
                f,
                "internal compiler error: the generated code did not compile. This is a bug in proxyc; please report it with {}.\n\ncargo said:\n{log}",
                generated.display()
            ),
        }
    }
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> BuildError {
    let what = what.into();
    move |error| BuildError::Io { what, error }
}

/// Generates, compiles and copies the binary of a checked program to `output`: the proxy
/// ([`Entry::Serve`], `proxyc build`) or the binary that runs its `test` blocks
/// ([`Entry::Test`], `proxyc test`).
pub fn build(
    checked: Checked,
    identity: &Identity,
    output: &Path,
    options: &BuildOptions,
    entry: Entry,
    progress: &mut dyn FnMut(&BuildProgress),
) -> Result<BuildReport, BuildError> {
    let name = identity.name.as_str();
    let (generated, warnings) = generate(checked, identity, entry).map_err(BuildError::Problems)?;
    // The generated manifest names the runtime by path, so the directory must be absolute.
    let target_dir =
        std::path::absolute(&options.target_dir).map_err(io("resolving the target directory"))?;
    let options = &BuildOptions {
        target_dir,
        profile: options.profile,
    };
    let runtime_root = write_runtime(&options.target_dir)?;
    let package = format!(
        "pxy-{}-{:016x}",
        sanitize(name),
        fnv1a(generated.as_bytes())
    );
    let crate_dir = options.target_dir.join("pxy-apps").join(&package);
    write_if_changed(&crate_dir.join("src/main.rs"), &generated)?;
    write_if_changed(
        &crate_dir.join("Cargo.toml"),
        &app_manifest(&package, &runtime_root),
    )?;
    if !crate_dir.join("Cargo.lock").exists() {
        write_if_changed(&crate_dir.join("Cargo.lock"), file("Cargo.lock"))?;
    }
    prune::stamp(&crate_dir).map_err(io(format!("writing {}", crate_dir.display())))?;

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = crate_dir.join("Cargo.toml");
    let total = cargo_run::package_count(&cargo, &manifest);
    let first_build = !runtime_compiled(&options.target_dir, options.profile);
    let mut cmd = Command::new(&cargo);
    cmd.arg("build")
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&options.target_dir)
        .arg("--config")
        .arg(remap_paths(&options.target_dir))
        .env("CFLAGS", c_remap(&options.target_dir))
        .env("CXXFLAGS", c_remap(&options.target_dir))
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR");
    match options.profile {
        Profile::Release | Profile::Quick => {
            cmd.arg("--profile").arg(options.profile.cargo_name());
        }
        Profile::Debug => {}
    }
    let started = Instant::now();
    let outcome = cargo_run::run_with_progress(cmd, total, first_build, progress)
        .map_err(BuildError::CargoMissing)?;
    let cargo_time = started.elapsed();
    if !outcome.status.success() {
        return Err(BuildError::Cargo {
            log: outcome.log,
            generated: crate_dir.join("src/main.rs"),
        });
    }
    let built = options
        .target_dir
        .join(options.profile.cargo_name())
        .join(&package);
    if let Some(parent) = output.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io(format!("creating {}", parent.display())))?;
    }
    // Copy to a temporary name and rename, so a running binary at `output` is replaced
    // atomically rather than overwritten in place.
    let tmp = output.with_extension("pxy-tmp");
    std::fs::copy(&built, &tmp).map_err(io(format!("copying {}", built.display())))?;
    std::fs::rename(&tmp, output).map_err(io(format!("writing {}", output.display())))?;
    prune::prune(&options.target_dir, prune::KEPT_PROGRAMS);
    let sha256 = file_sha256(output).map_err(io(format!("reading {}", output.display())))?;
    Ok(BuildReport {
        binary: output.to_path_buf(),
        sha256,
        crate_dir,
        warnings,
        cargo_time,
    })
}

/// True when the runtime library is already compiled for `profile` in `target_dir`, so a
/// build compiles only the program's own crate.
fn runtime_compiled(target_dir: &Path, profile: Profile) -> bool {
    let deps = target_dir.join(profile.cargo_name()).join("deps");
    std::fs::read_dir(deps).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("libpxy_runtime-") && name.ends_with(".rlib")
        })
    })
}

/// `build.rustflags` that replace the machine's own paths in the binary (panic locations,
/// debug info) with fixed ones, so the same program, proxyc and toolchain give the same bytes
/// whatever the target directory and the user: the target directory (the runtime's sources
/// and the generated crate live there) becomes `/proxyc`, cargo's home (dependencies'
/// sources) `/cargo`. The standard library's paths are fixed by the toolchain already.
fn remap_paths(target_dir: &Path) -> String {
    let mut flags = vec![remap(target_dir, "/proxyc")];
    if let Some(home) = cargo_home() {
        flags.push(remap(&home, "/cargo"));
    }
    format!("build.rustflags=[{}]", flags.join(","))
}

/// The same for the C and C++ of BoringSSL (built by `boring-sys` through cmake, which reads
/// `CFLAGS` and `CXXFLAGS`): its `__FILE__` strings name the build directory.
fn c_remap(target_dir: &Path) -> String {
    format!("-ffile-prefix-map={}=/proxyc", target_dir.display())
}

/// `"--remap-path-prefix=FROM=TO"` as a TOML string.
fn remap(from: &Path, to: &str) -> String {
    let flag = format!("--remap-path-prefix={}={to}", from.display());
    let escaped = flag.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{escaped}\"")
}

/// Where cargo keeps its registry: `CARGO_HOME`, else `~/.cargo`.
fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
}

fn file(path: &str) -> &'static str {
    RUNTIME_FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, c)| *c)
        .unwrap_or_default()
}

/// Bumped whenever `write_runtime` changes what it writes from the embedded files.
const LAYOUT_VERSION: u32 = 2;

/// Writes the embedded runtime under the target directory (once per content hash) and returns
/// its root: a workspace with the runtime as its only member, so the runtime's
/// `workspace = true` dependencies resolve to the versions proxyc was built with.
fn write_runtime(target_dir: &Path) -> Result<PathBuf, BuildError> {
    let mut hash = 0xcbf29ce484222325u64;
    // The layout written below is part of the identity too: a proxyc that writes it differently
    // must not reuse another's directory.
    hash = fnv1a_with(hash, &LAYOUT_VERSION.to_le_bytes());
    for (path, contents) in RUNTIME_FILES {
        hash = fnv1a_with(hash, path.as_bytes());
        hash = fnv1a_with(hash, contents.as_bytes());
    }
    let root = target_dir
        .join("pxy-runtime-src")
        .join(format!("{hash:016x}"));
    if root.join("done").exists() {
        return Ok(root);
    }
    for (path, contents) in RUNTIME_FILES {
        let contents = match *path {
            "Cargo.toml" => runtime_workspace_manifest(contents),
            "runtime/Cargo.toml" => runtime_library_manifest(contents),
            _ => (*contents).to_string(),
        };
        write_if_changed(&root.join(path), &contents)?;
    }
    write_if_changed(&root.join("done"), "")?;
    Ok(root)
}

/// Our workspace manifest with only the runtime as a member: the dependency table and profiles
/// stay exactly as they are.
fn runtime_workspace_manifest(manifest: &str) -> String {
    let mut doc: toml_edit::DocumentMut = manifest.parse().unwrap_or_default();
    if let Some(ws) = doc.get_mut("workspace").and_then(|w| w.as_table_mut()) {
        let mut members = toml_edit::Array::new();
        members.push("runtime");
        ws.insert("members", toml_edit::value(members));
        if let Some(deps) = ws.get_mut("dependencies").and_then(|d| d.as_table_mut()) {
            // The compiler crates are not part of a generated build.
            deps.retain(|name, _| !name.starts_with("pxy-") || name == "pxy-runtime");
        }
    }
    doc.to_string()
}

/// How generated proxies are compiled. Thin LTO with one codegen unit lets the optimizer see
/// through the runtime's generic phases into the generated hooks: 21% less CPU per proxied
/// request than `quick`, which has neither (benches/load.sh, HTTP/1.1: 20.7 against 26.3 µs),
/// for about 35 s more per build once the runtime is compiled (50 s against 15 s). Line
/// tables keep panics and profiles readable. `quick` is [`Profile::Quick`].
///
/// `dev` ([`Profile::Debug`]) compiles the program's own crate without optimisation and with
/// debug assertions and overflow checks, and the runtime and every other dependency optimised
/// as in release: that crate, where the runtime's generic engine is instantiated for the
/// program's hooks, is nearly all of a build's time once the runtime is compiled (3.2 s here
/// against 16 s for `quick` on 2 cores; opt-level 1 saves nothing), for about 2.8 times the
/// CPU per request of `quick` (benches/load.sh, HTTP/1.1: 73.7 against 26.3 µs). Only the
/// program's own crate has line tables there: with them in every dependency too a binary was
/// 76 MB, and the test suite builds about 60 of them.
const PROFILES: &str = "[profile.release]\ndebug = \"line-tables-only\"\nlto = \"thin\"\ncodegen-units = 1\n\n[profile.quick]\ninherits = \"release\"\nlto = false\ncodegen-units = 16\n\n[profile.dev]\ndebug = \"line-tables-only\"\nincremental = false\n\n[profile.dev.package.\"*\"]\nopt-level = 3\ndebug = false\ndebug-assertions = false\noverflow-checks = false\n";

/// The runtime's manifest as a library only: the embedded copy has `src/` and nothing else, so
/// benches, tests, examples and their dev-dependencies are dropped.
fn runtime_library_manifest(manifest: &str) -> String {
    let mut doc: toml_edit::DocumentMut = manifest.parse().unwrap_or_default();
    for key in ["bench", "test", "example", "dev-dependencies"] {
        doc.remove(key);
    }
    if let Some(package) = doc.get_mut("package").and_then(|p| p.as_table_mut()) {
        for key in ["autobenches", "autotests", "autoexamples"] {
            package.insert(key, toml_edit::value(false));
        }
    }
    doc.to_string()
}

fn app_manifest(package: &str, runtime_root: &Path) -> String {
    let runtime = runtime_root.join("runtime");
    format!(
        "# Generated by proxyc.\n[package]\nname = \"{package}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\npxy-runtime = {{ path = {:?} }}\n\n[workspace]\n\n{PROFILES}",
        runtime.display().to_string()
    )
}

fn write_if_changed(path: &Path, contents: &str) -> Result<(), BuildError> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == contents) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(format!("creating {}", parent.display())))?;
    }
    // Write-then-rename so a concurrent build never reads half a file.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, contents).map_err(io(format!("writing {}", tmp.display())))?;
    std::fs::rename(&tmp, path).map_err(io(format!("writing {}", path.display())))
}

fn sanitize(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if s.is_empty() {
        "proxy".into()
    } else {
        s
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    fnv1a_with(0xcbf29ce484222325, bytes)
}

fn fnv1a_with(mut hash: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x100000001b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remapped_paths_are_toml_strings() {
        assert_eq!(
            remap(Path::new("/home/a b/target"), "/proxyc"),
            r#""--remap-path-prefix=/home/a b/target=/proxyc""#
        );
        assert_eq!(
            remap(Path::new(r#"/odd"dir\x"#), "/cargo"),
            r#""--remap-path-prefix=/odd\"dir\\x=/cargo""#
        );
        let flags = remap_paths(Path::new("/t"));
        assert!(
            flags.starts_with(r#"build.rustflags=["--remap-path-prefix=/t=/proxyc""#),
            "{flags}"
        );
    }
}
