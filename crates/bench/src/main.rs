//! kinesd-bench: a load generator and correctness check for any Kinesis
//! Data Streams endpoint (kinesd, its peers, or AWS over a plain-HTTP
//! proxy). See bench/README.md.

use std::process::ExitCode;

use bench::args::Args;
use clap::Parser;

/// Exit status when a workload failed or a check did not pass.
const EXIT_FAILED: u8 = 1;
/// Exit status for bad options or a run that could not start.
const EXIT_SETUP: u8 = 2;

fn main() -> ExitCode {
    let args = Args::parse();
    if let Err(e) = args.validate() {
        eprintln!("kinesd-bench: {e}");
        return ExitCode::from(EXIT_SETUP);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(args.threads).enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("kinesd-bench: cannot start the runtime: {e}");
            return ExitCode::from(EXIT_SETUP);
        }
    };
    match runtime.block_on(bench::run::run(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(EXIT_FAILED),
        Err(e) => {
            eprintln!("kinesd-bench: {e}");
            ExitCode::from(EXIT_SETUP)
        }
    }
}
