//! The interactive terminal coder (`quire tui`): its state and keys (`app`), the code picker
//! (`picker`), another coder beside (`others`) and the drawing (`view`); the terminal loop itself is in `cli/tui.rs`.

pub mod app;
pub mod others;
pub mod picker;
pub mod range;
pub mod view;
