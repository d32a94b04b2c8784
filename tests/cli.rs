//! The command-line definition itself: clap's own consistency checks over every subcommand and
//! flag (conflicting names, bad defaults, missing value names), as ripgrep and fd test theirs.

use clap::CommandFactory;
use quire::cli::Cli;

#[test]
fn the_command_line_definition_is_consistent() {
    Cli::command().debug_assert();
}
