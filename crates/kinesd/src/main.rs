//! kinesd: one binary, one port, the AWS Kinesis API on durable storage.

mod config;
mod server;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = config::Cli::parse();
    match cli.command {
        config::Command::Serve(args) => {
            let settings = match args.settings() {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("kinesd: {e}");
                    return std::process::ExitCode::from(2);
                }
            };
            server::init_logging(settings.log_format);
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
            match runtime.block_on(server::serve(settings)) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!(error = %e, "kinesd stopped");
                    eprintln!("kinesd: {e}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
    }
}
