//! `quire tui`: the interactive terminal coder. This file is the terminal loop only (raw mode,
//! keys in, frames out); the state, keys and writes are in `crate::tui`.

use std::io::IsTerminal;

use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};

use super::Ctx;
use crate::coding::Coder;
use crate::error::{Error, Result};
use crate::tui::app::{App, Effect, Key};
use crate::tui::view;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Coder whose codings are shown and made (default: the project's coder).
    #[arg(long)]
    pub coder: Option<Coder>,
}

fn key_of(event: Event) -> Option<Key> {
    let Event::Key(k) = event else { return None };
    if k.kind == KeyEventKind::Release {
        return None;
    }
    Some(match k.code {
        KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => Key::Interrupt,
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::Enter => Key::Enter,
        KeyCode::Esc => Key::Esc,
        KeyCode::Tab => Key::Tab,
        KeyCode::Backspace => Key::Backspace,
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        _ => return None,
    })
}

/// Are standard input and output a terminal (where the coder can run)?
pub fn on_terminal() -> bool {
    std::io::stdout().is_terminal() && std::io::stdin().is_terminal()
}

pub fn run(args: Args, ctx: &mut Ctx<'_>) -> Result<()> {
    if !on_terminal() {
        return Err(Error::Usage("`quire tui` needs a terminal (use `quire code` in scripts)".into()));
    }
    let project = ctx.project()?;
    let mut app = App::open(&project, args.coder)?;
    let mut terminal = ratatui::init();
    let result = (|| -> Result<()> {
        loop {
            terminal.draw(|f| view::draw(f, &app)).map_err(|e| Error::io("terminal", e))?;
            let Some(key) = key_of(event::read().map_err(|e| Error::io("terminal", e))?) else { continue };
            match app.handle(key) {
                Effect::Quit => return Ok(()),
                // A refused write is shown on the status line; the coder goes on.
                Effect::Write(action) => {
                    let _ = app.perform(&project, &action);
                }
                Effect::Reload => app.reload(&project)?,
                Effect::None => {}
            }
        }
    })();
    ratatui::restore();
    let writes = app.writes.len();
    ctx.note(format_args!("{writes} change(s) made as {}", app.coder));
    result
}
