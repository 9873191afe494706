//! The load benchmark: `generate` builds a large dataset straight into a database;
//! `run` drives a running server over HTTP and prints every figure with its baseline ratio.
//! See docs/BENCHMARKS.md and bench/run.sh.

mod client;
mod driver;
mod generate;
mod live;
mod text;

use clap::{Parser, Subcommand};

#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fill a database with a workspace of conversations and messages.
    Generate(generate::Options),
    /// Measure a running server.
    Run(driver::Options),
}

fn main() {
    // `cargo bench` passes `--bench`; the harness takes its own arguments after `--`.
    let args = std::env::args().filter(|a| a != "--bench");
    let args = Args::parse_from(args);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let result = runtime.block_on(async {
        match args.command {
            Command::Generate(options) => generate::run(options).await,
            Command::Run(options) => driver::run(options).await,
        }
    });
    if let Err(error) = result {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}
