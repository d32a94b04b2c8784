//! quire's entry point: parse arguments, run the command, map errors to one message and an exit code.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use quire::cli::{run, Cli};
use quire::progress::{Progress, Silent};
use quire::Error;

/// mimalloc: quire allocates many small strings on several threads at once (quotes, codings,
/// XML), where glibc's allocator spends a tenth of the time growing and trimming arenas.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A bar on the error stream for each long step; only used on a terminal.
struct Bar(std::sync::Mutex<ProgressBar>);

impl Progress for Bar {
    fn begin(&self, step: &str, total: u64) {
        let bar = if total == 0 {
            let style = ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("a valid template");
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(style).with_message(step.to_string());
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        } else {
            let style = ProgressStyle::with_template("{msg:>20} [{bar:30}] {pos}/{len} {eta}").expect("a valid template").progress_chars("=> ");
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr()).with_style(style).with_message(step.to_string())
        };
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = bar;
    }

    fn advance(&self, n: u64) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).inc(n);
    }

    fn end(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).finish_and_clear();
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Every write this process makes is recorded in the project's history with its command line.
    quire::project::history::set_command(std::env::args_os().skip(1));
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut err = io::stderr();
    let bar = Bar(std::sync::Mutex::new(ProgressBar::hidden()));
    let progress: &dyn Progress = if err.is_terminal() { &bar } else { &Silent };
    let result = run(cli, &mut out, &mut err, progress).and_then(|()| out.flush().map_err(Error::Output));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stopped reading (`quire show X | head`) is not a failure.
        Err(Error::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(err, "quire: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
