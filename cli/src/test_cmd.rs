//! `proxyc test FILE...`: each program is built with its `test` blocks into a test binary (the
//! program's own generated code, with the test runner as `main`) and the binary is run; its
//! lines go straight to the terminal. With several files, one JUnit document gathers the
//! suites of all of them.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use pxy_compiler::driver::{BuildOptions, Entry, Profile};

/// The flags of `proxyc test`.
#[derive(Debug, clap::Args)]
pub(crate) struct TestArgs {
    /// Run only the tests whose name contains this text.
    #[arg(long, value_name = "TEXT")]
    filter: Option<String>,
    /// With --filter: only the test of exactly that name.
    #[arg(long, requires = "filter")]
    exact: bool,
    /// Also write the results as JUnit XML to this file, for CI systems.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Build the program optimised and link-time optimised, as `proxyc build` does (slower
    /// to build; the default builds the program's crate without optimisation, on the
    /// optimised runtime).
    #[arg(long)]
    release: bool,
    /// The cargo target directory shared by builds [env: PROXYC_TARGET_DIR; default: ~/.cache/proxyc/target].
    #[arg(long)]
    target_dir: Option<PathBuf>,
}

/// Builds and runs the tests of every file; exit 1 when a test failed or a program did not
/// build.
pub(crate) fn run(files: &[PathBuf], args: &TestArgs) -> ExitCode {
    let options = BuildOptions {
        target_dir: args
            .target_dir
            .clone()
            .unwrap_or_else(BuildOptions::default_target_dir),
        profile: if args.release {
            Profile::Release
        } else {
            Profile::Debug
        },
    };
    let mut failed = false;
    let mut suites = Vec::new();
    for file in files {
        let output = options
            .target_dir
            .join("pxy-bin")
            .join(format!("{}-test", crate::program_name(file)));
        if crate::build_file(file, &output, &options, Entry::Test).is_err() {
            failed = true;
            continue;
        }
        let junit = args
            .junit
            .as_ref()
            .map(|_| output.with_extension("junit.xml"));
        let mut cmd = std::process::Command::new(&output);
        if let Some(filter) = &args.filter {
            cmd.arg(filter);
        }
        if args.exact {
            cmd.arg("--exact");
        }
        if let Some(junit) = &junit {
            cmd.arg("--junit").arg(junit);
        }
        match cmd.status() {
            Ok(status) => failed |= !status.success(),
            Err(e) => {
                eprintln!("error: cannot start {}: {e}", output.display());
                failed = true;
            }
        }
        if let Some(junit) = junit {
            match std::fs::read_to_string(&junit) {
                Ok(xml) => suites.push(suite_of(&xml).to_string()),
                Err(e) => {
                    eprintln!("error: {} wrote no JUnit report: {e}", output.display());
                    failed = true;
                }
            }
        }
    }
    if let Some(path) = &args.junit {
        if let Err(e) = write_junit(path, &suites) {
            eprintln!("error: cannot write {}: {e}", path.display());
            failed = true;
        }
    }
    match failed {
        true => ExitCode::from(1),
        false => ExitCode::SUCCESS,
    }
}

/// The `<testsuite>` element of one test binary's report.
fn suite_of(xml: &str) -> &str {
    let start = xml.find("<testsuite ").unwrap_or(0);
    let end = xml
        .rfind("</testsuite>")
        .map_or(xml.len(), |i| i + "</testsuite>".len());
    &xml[start..end]
}

fn write_junit(path: &Path, suites: &[String]) -> std::io::Result<()> {
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for suite in suites {
        xml.push_str(suite);
        xml.push('\n');
    }
    xml.push_str("</testsuites>\n");
    std::fs::write(path, xml)
}
