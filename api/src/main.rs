//! The `slr` binary: parse the command line, run the command.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    match slr_api::cli::run(slr_api::cli::Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("slr: {error}");
            ExitCode::FAILURE
        }
    }
}
