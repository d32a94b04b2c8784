//! quire's entry point: parse arguments, run the command, map errors to one message and an exit code.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use quire::cli::{run, Cli};
use quire::Error;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut err = io::stderr();
    let result = run(cli, &mut out, &mut err).and_then(|()| out.flush().map_err(Error::Output));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stopped reading (`quire show X | head`) is not a failure.
        Err(Error::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(err, "quire: {e}");
            ExitCode::from(exit_code(&e))
        }
    }
}

/// 2 for usage mistakes and a busy project, 1 for bad input and everything else.
fn exit_code(e: &Error) -> u8 {
    match e {
        Error::Usage(_) | Error::Locked { .. } | Error::NoProject { .. } => 2,
        _ => 1,
    }
}
