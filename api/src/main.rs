//! The `slr` binary: parse the command line, run the command.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    slr_api::middleware::observe::init_logging();
    match slr_api::cli::run(slr_api::cli::Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("slr: {error}");
            ExitCode::FAILURE
        }
    }
}
