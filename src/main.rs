//! The `baton` binary: parses the command line and runs it (`cli`).

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    baton::cli::run().await
}
