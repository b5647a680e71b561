//! The `toolgate` command.

mod args;
mod auth;
mod cmd_config;
mod cmd_demo;
mod cmd_lint;
mod cmd_serve;
mod cmd_tools;
mod common;
mod config;
mod limit_args;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter =
        tracing_subscriber::EnvFilter::try_new(&cli.log).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let result = match cli.command {
        Command::Tools(a) => cmd_tools::run(a).await,
        Command::Lint(a) => cmd_lint::run(a).await,
        Command::Demo(a) => cmd_demo::run(a).await,
        Command::Serve(a) => cmd_serve::serve(*a).await,
        Command::Stdio(a) => cmd_serve::stdio(a).await,
        Command::Check(a) => cmd_config::check(a).await,
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
