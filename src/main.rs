use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    baton::cli::run().await
}
