//! crossflake: reproducible static Rust builds for every platform, with zig as the cross
//! linker. `main` parses the arguments, dispatches, and prints the error chain.

#![warn(clippy::too_many_lines)]

mod archive;
mod atomic;
mod builders;
mod cache;
mod catalog;
mod cdeps;
mod checks;
mod ci;
mod cli;
mod commands;
mod dist;
mod download;
mod emit;
mod interrupt;
mod lock;
mod oci;
mod pipeline;
mod plan;
mod prepare;
mod project;
mod recipe;
mod run_lock;
mod scaffold;
mod sccache;
mod settings;
mod toml_doc;
mod toolchain;
mod tools;
mod verify;

use clap::Parser;

use cli::{Cli, Command};

fn main() {
    restore_sigpipe();
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Internal(_)) {
        interrupt::install();
        // what a killed run left here is finished or undone before anything is read
        if let Ok(cwd) = std::env::current_dir() {
            project::sweep(&cwd);
        }
    }
    // the exit status of an error: 1, but 2 for ci (1 is --check's "out of date")
    let (result, error_code) = match cli.command {
        Command::Targets(a) => (commands::targets::run(a).map(|()| 0), 1),
        Command::Init(a) => (commands::init::run(a).map(|()| 0), 1),
        Command::New(a) => (commands::new::run(a).map(|()| 0), 1),
        Command::Target(a) => (commands::target::run(a).map(|()| 0), 1),
        Command::Env(a) => (commands::env::run(a).map(|()| 0), 1),
        Command::Build(a) => (commands::build::run(a).map(|()| 0), 1),
        Command::Test(a) => (commands::test::run(a).map(|()| 0), 1),
        Command::Verify(a) => (commands::verify::run(a).map(|()| 0), 1),
        Command::Oci(a) => (commands::oci::run(a).map(|()| 0), 1),
        Command::Dist(a) => (commands::dist::run(a).map(|()| 0), 1),
        Command::Doctor(a) => (commands::doctor::run(a), 1),
        Command::Toolchain(a) => (commands::toolchain::run(a).map(|()| 0), 1),
        Command::Cache(a) => (commands::cache::run(a).map(|()| 0), 1),
        Command::Ci(a) => (commands::ci::run(a), 2),
        Command::Internal(a) => (commands::internal::run(a).map(|()| 0), 1),
    };
    let code = match result {
        Ok(code) => code,
        // a signal's handler says why the run stops and exits for it
        Err(_) if interrupt::stopping() => error_code,
        Err(e) => {
            print_error(&e);
            error_code
        }
    };
    interrupt::exit(code)
}

/// Prints an error and its causes, one per line, and the fix for a full file system
/// (ENOSPC, or EDQUOT for a quota) when a cause is one.
fn print_error(e: &anyhow::Error) {
    eprintln!("error: {e}");
    for cause in e.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
    let full = e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::raw_os_error)
            .is_some_and(|n| n == libc::ENOSPC || n == libc::EDQUOT)
    });
    if full {
        eprintln!(
            "  fix: free space on that file system (or raise the quota) and run again; \
             the files this run was replacing were left as they were"
        );
    }
}

/// Lets a closed pipe end the process as it ends other Unix tools (`crossflake targets | head`
/// stops quietly): the Rust runtime ignores SIGPIPE, so without this every `println!` after the
/// reader has gone panics with "failed printing to stdout: Broken pipe".
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL is a valid handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
