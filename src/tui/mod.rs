//! The interactive terminal coder (`quire tui`): its state and keys (`app`), the code picker
//! (`picker`) and the drawing (`view`); the terminal loop itself is in `cli/tui.rs`.

pub mod app;
pub mod picker;
pub mod view;
