//! `proxyc`: the command line of the proxyc compiler.
//!
//! Exit codes: 0 success, 1 the program has errors (or the build failed), 2 usage errors.

mod deploy;
mod lsp;
mod progress;
mod test_cmd;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use progress::ProgressDisplay;
use pxy_compiler::diagnostic::{describe, render, to_json, Diagnostic};
use pxy_compiler::driver::{self, BuildError, BuildOptions, Entry, Profile};
use pxy_compiler::files::DiskLoader;
use pxy_compiler::identity::Identity;
use pxy_compiler::problem::Problem;
use pxy_compiler::sources::SourceMap;

/// Compile `.pxy` proxy programs into fast proxy binaries.
#[derive(Debug, Parser)]
#[command(name = "proxyc", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a program and build a proxy binary from it.
    Build {
        /// The `.pxy` program.
        file: PathBuf,
        /// Where to write the binary (default: the program's name, in the current directory).
        #[arg(short, long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        build: BuildArgs,
        /// Run the new binary's own checks (`--test`, with the proxy arguments) before it
        /// replaces OUTPUT; if they fail, OUTPUT is left as it was.
        #[arg(long)]
        test: bool,
        /// After the checks, take over from the running proxy: start the new binary with
        /// `--upgrade --daemon` and the proxy arguments. OUTPUT is replaced only once the new
        /// proxy serves; if it fails, the running one goes on untouched.
        #[arg(long)]
        upgrade: bool,
        /// Where the new proxy's output goes when `--upgrade` starts it (appended; default:
        /// OUTPUT with the extension `.log`).
        #[arg(long, value_name = "PATH", requires = "upgrade")]
        proxy_log: Option<PathBuf>,
        /// Arguments for the proxy (with `--test` or `--upgrade`), e.g.
        /// `-- --pid-file /run/gateway.pid --grace-period 30`.
        #[arg(last = true)]
        proxy_args: Vec<String>,
    },
    /// Check a program and report every problem, without building.
    Check {
        /// The `.pxy` program.
        file: PathBuf,
        /// `human` for a terminal, `json` for tools (LSP-shaped diagnostics).
        #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
        message_format: MessageFormat,
        /// Treat warnings as errors (`--deny warnings`).
        #[arg(long, value_name = "warnings")]
        deny: Option<Deny>,
    },
    /// Format programs in the canonical layout (in place), or check that they are.
    Fmt {
        /// The `.pxy` programs.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Do not write; exit 1 if a file is not formatted.
        #[arg(long)]
        check: bool,
    },
    /// Print the Rust code generated for a program.
    Emit {
        /// The `.pxy` program.
        file: PathBuf,
    },
    /// Build a program and run it; arguments after `--` go to the proxy (e.g. `-- --threads 2`).
    Run {
        /// The `.pxy` program.
        file: PathBuf,
        #[command(flatten)]
        build: BuildArgs,
        /// Arguments for the proxy.
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Show what changes for traffic between two versions of a program (exit 0: equivalent,
    /// 1: different, 2: a program has errors).
    Diff {
        /// The version running now.
        old: PathBuf,
        /// The version to deploy.
        new: PathBuf,
    },
    /// Draw the routing decision tree the compiler built: a branch per host, the routes in the
    /// order they are tried, what each matches and where it sends requests, shadowed routes
    /// marked.
    Routes {
        /// The `.pxy` program.
        file: PathBuf,
        /// `text` for a terminal, `dot` for Graphviz, `svg` drawn by Graphviz's `dot`.
        #[arg(long, value_enum, default_value_t = RoutesFormat::Text)]
        format: RoutesFormat,
    },
    /// Build each program with its `test` blocks into a test binary and run the tests: a line
    /// per test, the failures with the expected and actual values, a summary (exit 1 when a
    /// test failed).
    Test {
        /// The `.pxy` programs (a `NAME_test.pxy` that includes `NAME.pxy`, or the program
        /// itself).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        args: test_cmd::TestArgs,
    },
    /// Explain a diagnostic code, like `E0202`.
    Explain {
        /// The code.
        code: String,
    },
    /// Run the language server for editors, speaking LSP on standard input and output.
    Lsp {
        /// Accepted for editors that pass it; standard input and output is the only transport.
        #[arg(long)]
        stdio: bool,
    },
}

#[derive(Debug, clap::Args)]
struct BuildArgs {
    /// The cargo target directory shared by builds [env: PROXYC_TARGET_DIR; default: ~/.cache/proxyc/target].
    #[arg(long)]
    target_dir: Option<PathBuf>,
    /// Build the program's own crate without optimisation, with overflow checks, on the
    /// optimised runtime: about 3 s, for about 2.8 times the CPU per request of --quick
    /// (tests).
    #[arg(long, conflicts_with = "quick")]
    debug: bool,
    /// Build optimised but without link-time optimisation: links in seconds rather than
    /// about a minute, for about 27% more CPU per request (development, staging).
    #[arg(long)]
    quick: bool,
}

impl BuildArgs {
    /// Where and how these flags say to build.
    fn options(&self) -> BuildOptions {
        BuildOptions {
            target_dir: self
                .target_dir
                .clone()
                .unwrap_or_else(BuildOptions::default_target_dir),
            profile: if self.debug {
                Profile::Debug
            } else if self.quick {
                Profile::Quick
            } else {
                Profile::Release
            },
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum MessageFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RoutesFormat {
    Text,
    Dot,
    Svg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Deny {
    Warnings,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check {
            file,
            message_format,
            deny,
        } => check(&file, message_format, deny.is_some()),
        Command::Emit { file } => emit(&file),
        Command::Fmt { files, check } => fmt(&files, check),
        Command::Diff { old, new } => diff(&old, &new),
        Command::Routes { file, format } => routes(&file, format),
        Command::Build {
            file,
            output,
            build,
            test,
            upgrade,
            proxy_log,
            proxy_args,
        } => {
            let output = output.unwrap_or_else(|| PathBuf::from(program_name(&file)));
            if !test && !upgrade {
                if !proxy_args.is_empty() {
                    eprintln!(
                        "error: arguments after `--` are for the proxy: give --test or --upgrade"
                    );
                    return ExitCode::from(2);
                }
                return match build_file(&file, &output, &build.options(), Entry::Serve) {
                    Ok(_) => ExitCode::SUCCESS,
                    Err(code) => code,
                };
            }
            let deploy = deploy::Deploy {
                proxy_args,
                upgrade,
                proxy_log,
            };
            if let Err(message) = deploy.validate() {
                eprintln!("error: {message}");
                return ExitCode::from(2);
            }
            let staged = deploy::Deploy::staging_path(&output);
            match build_file(&file, &staged, &build.options(), Entry::Serve) {
                Ok(_) => deploy.finish(&staged, &output),
                Err(code) => code,
            }
        }
        Command::Run { file, build, args } => {
            let target = build
                .target_dir
                .clone()
                .unwrap_or_else(BuildOptions::default_target_dir);
            let output = target.join("pxy-bin").join(program_name(&file));
            if let Err(code) = build_file(&file, &output, &build.options(), Entry::Serve) {
                return code;
            }
            run(&output, &args)
        }
        Command::Test { files, args } => test_cmd::run(&files, &args),
        Command::Lsp { stdio: _ } => lsp::run(),
        Command::Explain { code } => match pxy_compiler::explain::explain(&code) {
            Some(text) => {
                println!("{}\n\n{text}", code.to_ascii_uppercase());
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("error: `{code}` is not a proxyc diagnostic code");
                ExitCode::from(2)
            }
        },
    }
}

/// The program's name: its file stem.
fn program_name(file: &Path) -> String {
    file.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "proxy".into())
}

fn read(file: &Path) -> Result<String, ExitCode> {
    let bytes = std::fs::read(file).map_err(|e| {
        eprintln!("error: cannot read {}: {e}", file.display());
        ExitCode::from(1)
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        eprintln!(
            "error: {} is not UTF-8 text (invalid byte at offset {at})",
            file.display()
        );
        ExitCode::from(1)
    })
}

fn use_color() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
}

/// Reads `file` and its includes from disk and checks them.
fn analyse(file: &Path) -> Result<driver::Analysis, ExitCode> {
    let source = read(file)?;
    Ok(driver::analyse(file, source, &DiskLoader))
}

fn print_problems(file: &Path, sources: &SourceMap, problems: &[Problem]) {
    if problems.is_empty() {
        return;
    }
    let diagnostics: Vec<Diagnostic> = problems.iter().map(describe).collect();
    eprint!("{}", render(&diagnostics, sources, use_color()));
    let errors = problems.iter().filter(|p| !p.is_warning()).count();
    let warnings = problems.len() - errors;
    eprintln!(
        "{}: {errors} error(s), {warnings} warning(s)",
        file.display()
    );
}

fn check(file: &Path, format: MessageFormat, deny_warnings: bool) -> ExitCode {
    let analysis = match analyse(file) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let checked = &analysis.checked;
    let failed = checked.has_errors() || (deny_warnings && !checked.problems.is_empty());
    match format {
        MessageFormat::Human => {
            print_problems(file, &analysis.sources, &checked.problems);
            if !failed {
                eprintln!("{}: ok", file.display());
            }
        }
        MessageFormat::Json => {
            let diagnostics: Vec<Diagnostic> = checked.problems.iter().map(describe).collect();
            print_stdout(&format!("{}\n", to_json(&diagnostics, &analysis.sources)));
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn diff(old: &Path, new: &Path) -> ExitCode {
    let mut programs = Vec::new();
    for file in [old, new] {
        let Ok(analysis) = analyse(file) else {
            return ExitCode::from(2);
        };
        match analysis.checked.into_program() {
            Ok((program, _)) => programs.push(program),
            Err(problems) => {
                print_problems(file, &analysis.sources, &problems);
                return ExitCode::from(2);
            }
        }
    }
    let changes = pxy_compiler::diff::diff(&programs[0], &programs[1]);
    if changes.is_empty() {
        eprintln!("{} and {} are equivalent", old.display(), new.display());
        return ExitCode::SUCCESS;
    }
    print_stdout(&pxy_compiler::diff::render(&changes));
    ExitCode::from(1)
}

/// Prints the routing tree of a program that checks (warnings are printed too: a shadowed route
/// is one).
fn routes(file: &Path, format: RoutesFormat) -> ExitCode {
    use pxy_compiler::routing::{render_dot, render_text, RoutingTree};
    let Ok(analysis) = analyse(file) else {
        return ExitCode::from(1);
    };
    let (program, warnings) = match analysis.checked.into_program() {
        Ok(checked) => checked,
        Err(problems) => {
            print_problems(file, &analysis.sources, &problems);
            return ExitCode::from(1);
        }
    };
    print_problems(file, &analysis.sources, &warnings);
    let tree = RoutingTree::new(&program);
    match format {
        RoutesFormat::Text => print_stdout(&render_text(&tree)),
        RoutesFormat::Dot => print_stdout(&render_dot(&tree)),
        RoutesFormat::Svg => match graphviz_svg(&render_dot(&tree)) {
            Ok(svg) => print_stdout(&svg),
            Err(message) => {
                eprintln!("error: {message}");
                return ExitCode::from(1);
            }
        },
    }
    ExitCode::SUCCESS
}

/// Draws DOT as SVG with Graphviz's `dot` (installed by scripts/setup.sh).
fn graphviz_svg(dot: &str) -> Result<String, String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!("cannot run Graphviz's `dot` ({e}): install graphviz, or use --format dot")
        })?;
    let mut stdin = child.stdin.take().ok_or("no pipe to `dot`")?;
    stdin
        .write_all(dot.as_bytes())
        .map_err(|e| format!("writing to `dot`: {e}"))?;
    drop(stdin);
    let out = child
        .wait_with_output()
        .map_err(|e| format!("waiting for `dot`: {e}"))?;
    if !out.status.success() {
        return Err(format!("`dot` failed ({})", out.status));
    }
    String::from_utf8(out.stdout).map_err(|_| "`dot` wrote something that is not UTF-8".into())
}

/// Formats each file in place; with `check`, only reports the files that would change.
fn fmt(files: &[PathBuf], check: bool) -> ExitCode {
    let mut failed = false;
    for file in files {
        let source = match read(file) {
            Ok(s) => s,
            Err(_) => {
                failed = true;
                continue;
            }
        };
        match pxy_dsl::format::format(&source) {
            Ok(formatted) if formatted == source => {}
            Ok(_) if check => {
                eprintln!(
                    "{}: not formatted (run `proxyc fmt {}`)",
                    file.display(),
                    file.display()
                );
                failed = true;
            }
            Ok(formatted) => {
                if let Err(e) = std::fs::write(file, formatted) {
                    eprintln!("error: cannot write {}: {e}", file.display());
                    failed = true;
                }
            }
            Err(e) => {
                print_problems(
                    file,
                    &SourceMap::single(file.display().to_string(), source),
                    &[Problem::Syntax(e)],
                );
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Writes to stdout; a closed pipe (`proxyc emit x.pxy | head`) is not an error.
fn print_stdout(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn emit(file: &Path) -> ExitCode {
    let analysis = match analyse(file) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let identity = Identity::of(&program_name(file), &analysis.sources);
    match driver::generate(analysis.checked, &identity, Entry::Serve) {
        Ok((code, warnings)) => {
            print_problems(file, &analysis.sources, &warnings);
            print_stdout(&code);
            ExitCode::SUCCESS
        }
        Err(problems) => {
            print_problems(file, &analysis.sources, &problems);
            ExitCode::from(1)
        }
    }
}

/// Checks `file` and builds the binary `entry` says (the proxy, or its tests) at `output`,
/// printing the problems, progress and the binary's hash.
fn build_file(
    file: &Path,
    output: &Path,
    options: &BuildOptions,
    entry: Entry,
) -> Result<PathBuf, ExitCode> {
    let analysis = analyse(file)?;
    eprintln!(
        "   Compiling {} (target dir {})",
        file.display(),
        options.target_dir.display()
    );
    let identity = Identity::of(&program_name(file), &analysis.sources);
    let mut display = ProgressDisplay::for_stderr();
    let built = driver::build(
        analysis.checked,
        &identity,
        output,
        options,
        entry,
        &mut |p| display.show(p),
    );
    display.finish();
    match built {
        Ok(report) => {
            print_problems(file, &analysis.sources, &report.warnings);
            eprintln!(
                "    Finished {} in {:.1}s",
                report.binary.display(),
                report.cargo_time.as_secs_f64()
            );
            eprintln!("      sha256 {}", report.sha256);
            Ok(report.binary)
        }
        Err(BuildError::Problems(problems)) => {
            print_problems(file, &analysis.sources, &problems);
            Err(ExitCode::from(1))
        }
        Err(other) => {
            eprintln!("error: {other}");
            Err(ExitCode::from(1))
        }
    }
}

fn run(binary: &Path, args: &[String]) -> ExitCode {
    match std::process::Command::new(binary).args(args).status() {
        Ok(status) => ExitCode::from(status.code().map(|c| c.clamp(0, 255) as u8).unwrap_or(1)),
        Err(e) => {
            eprintln!("error: cannot start {}: {e}", binary.display());
            ExitCode::from(1)
        }
    }
}
