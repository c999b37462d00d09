#![forbid(unsafe_code)]

use casebook::cli::{self, Cli};
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // A `.env` file, if present, provides settings; the environment and flags override it.
    let _ = dotenvy::dotenv();
    if let Err(e) = casebook::config::check_unknown_variables() {
        eprintln!("casebook: {e}");
        return ExitCode::from(2);
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("casebook: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("casebook: {e}");
            ExitCode::FAILURE
        }
    }
}
