//! The terminal coder (`quire tui`): its screen drawn on ratatui's in-memory backend, scripted
//! key sequences checked against the coding files they leave, and one run of the real binary in
//! tmux.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{skip, tool_works, Workdir};
use quire::codebook::CodePath;
use quire::project::Project;
use quire::tui::app::{Action, App, Effect, Key};
use quire::tui::view;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

/// Segments of XX-1: 1 I, 2 R, 3 R (second paragraph), 4 I, 5 R.
const ONE: &str = "---\nsource: XX-1\ncountry: BE\nlanguage: en\nmethod: interview\nspeaker I: interviewer\nspeaker R: role=EPR gender=M\n---\nI: Where did you sleep after release?\nR: At a friend's flat for two weeks, then nowhere.\n\nThen the shelter, which was full of users.\nI: Did anyone wait for you?\nR: My sister waited at the gate.\n";
const TWO: &str = "---\nsource: XX-2\ncountry: BE\nlanguage: en\nmethod: interview\nspeaker I: interviewer\nspeaker R: role=PR gender=F\n---\nI: What helped most?\nR: Having my own room again.\n";

const HOUSING: &str = "challenges/structural/housing";

fn project() -> Workdir {
    let w = Workdir::new();
    w.init("p", "en");
    w.write("in/XX-1.txt", ONE);
    w.write("in/XX-2.txt", TWO);
    w.run(&["--project", "p", "ingest", "in"]).ok();
    w
}

fn code(path: &str) -> CodePath {
    CodePath::parse(path).unwrap()
}

fn open(w: &Workdir) -> (Project, App) {
    let project = Project::open(&w.path("p")).unwrap();
    let app = App::open(&project, Some("ana".parse().unwrap())).unwrap();
    (project, app)
}

/// Types `keys` (`\n` is Enter, `\t` Tab); performs each write asked for and reads a source
/// shown anew. Returns the writes.
fn keys(project: &Project, app: &mut App, keys: &str) -> Vec<Action> {
    let mut writes = Vec::new();
    for c in keys.chars() {
        let key = match c {
            '\n' => Key::Enter,
            '\t' => Key::Tab,
            c => Key::Char(c),
        };
        match app.handle(key) {
            Effect::Write(action) => {
                app.perform(project, &action).unwrap();
                writes.push(action);
            }
            Effect::Reload => app.reload(project).unwrap(),
            _ => {}
        }
    }
    writes
}

/// A coder's file with each `created` time (checked to be one) replaced by `T`.
fn codings(w: &Workdir, file: &str) -> String {
    let text = fs::read_to_string(w.path(&format!("p/codings/{file}"))).unwrap_or_default();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let mut fields: Vec<&str> = line.splitn(7, ',').collect();
        if i > 0 {
            let t = fields[5];
            assert!(t.len() == 20 && t.starts_with("20") && t.ends_with('Z'), "created `{t}`");
            fields[5] = "T";
        }
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

fn screen(app: &App) -> Vec<String> {
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| view::draw(f, app)).unwrap();
    let buf = terminal.backend().buffer();
    (0..24).map(|y| (0..80).map(|x| buf[(x, y)].symbol()).collect::<String>().trim_end().to_string()).collect()
}

const HEADER: &str = "source,start,end,code,coder,created,text\n";

#[test]
fn keys_code_the_selected_respondent_segment_as_the_coder() {
    let w = project();
    let (project, mut app) = open(&w);
    let writes = keys(&project, &mut app, "jchousing\n");
    assert_eq!(writes, [Action::Code("XX-1:3".parse().unwrap(), code(HOUSING))]);
    assert_eq!(codings(&w, "ana.csv"), format!("{HEADER}XX-1,90,132,{HOUSING},ana,T,\"Then the shelter, which was full of users.\"\n"));
}

#[test]
fn moving_skips_interviewer_segments() {
    let w = project();
    let (_, mut app) = open(&w);
    let mut seen = vec![app.selected().unwrap().to_string()];
    for key in [Key::Char('j'), Key::Down, Key::Char('j'), Key::Char('k'), Key::Up, Key::Up] {
        app.handle(key);
        seen.push(app.selected().unwrap().to_string());
    }
    assert_eq!(seen, ["XX-1:2", "XX-1:3", "XX-1:5", "XX-1:5", "XX-1:3", "XX-1:2", "XX-1:2"]);
}

#[test]
fn x_removes_the_chosen_code_and_u_undoes_each_change_in_turn() {
    let w = project();
    let (project, mut app) = open(&w);
    keys(&project, &mut app, "chousing\ncstigma\n");
    let both = codings(&w, "ana.csv");
    assert_eq!(
        both,
        format!("{HEADER}XX-1,41,88,challenges/individual/stigma,ana,T,\"At a friend's flat for two weeks, then nowhere.\"\nXX-1,41,88,{HOUSING},ana,T,\"At a friend's flat for two weeks, then nowhere.\"\n")
    );
    // The remove picker lists only the segment's codes: the first is stigma.
    let writes = keys(&project, &mut app, "x\n");
    assert_eq!(writes, [Action::Uncode("XX-1:2".parse().unwrap(), code("challenges/individual/stigma"))]);
    assert_eq!(codings(&w, "ana.csv"), format!("{HEADER}XX-1,41,88,{HOUSING},ana,T,\"At a friend's flat for two weeks, then nowhere.\"\n"));
    keys(&project, &mut app, "u");
    assert_eq!(codings(&w, "ana.csv"), both);
    // Back to before the coder opened: ana had no file.
    keys(&project, &mut app, "uu");
    assert!(!w.path("p/codings/ana.csv").exists());
    // Nothing of this coder's is left to undo: refused, the file unchanged.
    assert_eq!(app.handle(Key::Char('u')), Effect::Write(Action::Undo));
    assert!(app.perform(&project, &Action::Undo).is_err());
    assert_eq!(app.status, "nothing to undo since the coder opened");
    assert!(!w.path("p/codings/ana.csv").exists());
}

#[test]
fn a_accepts_and_r_rejects_the_suggestions_of_the_selected_segment() {
    let w = project();
    w.run(&["--project", "p", "autocode"]).ok();
    let (project, mut app) = open(&w);
    keys(&project, &mut app, "a");
    assert_eq!(codings(&w, "ana.csv"), format!("{HEADER}XX-1,41,88,{HOUSING},ana,T,\"At a friend's flat for two weeks, then nowhere.\"\n"));
    keys(&project, &mut app, "jr");
    assert_eq!(codings(&w, "auto.csv"), HEADER);
    assert_eq!(
        codings(&w, "auto.rejected.csv"),
        format!("{HEADER}XX-1,90,132,{HOUSING},auto,T,\"Then the shelter, which was full of users.\"\nXX-1,90,132,reasons/shelters-with-users,auto,T,\"Then the shelter, which was full of users.\"\n")
    );
}

#[test]
fn the_transcript_shows_a_letter_per_code_in_the_margin_and_suggestions_dimmed() {
    let w = project();
    w.run(&["--project", "p", "autocode"]).ok();
    let (project, mut app) = open(&w);
    keys(&project, &mut app, "chousing\ncstigma\n");
    let shown = screen(&app);
    let expected = [
        "┌ sources · ana ───────┐┌ XX-1 · interview · en · R (EPR, M, BE) ──────────────┐",
        "│>XX-1            1/3  ││   1 I (interviewer)                                  │",
        "│ XX-2            0/1  ││      Where did you sleep after release?              │",
        "│                      ││▶  2 R (EPR, M, BE)                                   │",
        "│                      ││hn  │ At a friend's flat for two weeks, then nowhere. │",
        "│                      ││~n  ~ housing · suggested by auto (a/r)               │",
        "│                      ││   3 R (EPR, M, BE)                                   │",
        "│                      ││    │ Then the shelter, which was full of users.      │",
        "│                      ││~n  ~ housing · suggested by auto (a/r)               │",
        "│                      ││~B  ~ shelters-with-users · suggested by auto (a/r)   │",
        "│                      ││   4 I (interviewer)                                  │",
        "│                      ││      Did anyone wait for you?                        │",
        "│                      ││   5 R (EPR, M, BE)                                   │",
        "│                      ││    │ My sister waited at the gate.                   │",
    ];
    assert_eq!(shown[..14], expected);
    assert_eq!(shown[23], "XX-1:2: challenges/individual/stigma added │ h stigma · n housing");
}

#[test]
fn the_picker_filters_over_names_and_descriptions_with_recent_codes_first_and_counts() {
    let w = project();
    let (project, mut app) = open(&w);
    keys(&project, &mut app, "chousing\n");
    keys(&project, &mut app, "cshelter");
    let expected = [
        "│ XX-2    ┌ code the segment (Enter applies, Esc closes) ────────────┐         │",
        "│         │filter: shelter_                                          │         │",
        "│         │*n     housing · Housing after release (1)                │nowhere. │",
        "│         │ B   shelters-with-users · Shelters full of users         │         │",
        "│         │                                                          │rs.      │",
    ];
    assert_eq!(screen(&app)[2..7], expected);
}

#[test]
fn f_filters_the_sources_by_a_respondents_attributes_and_shows_the_first_that_passes() {
    let w = project();
    let (project, mut app) = open(&w);
    let writes = keys(&project, &mut app, "\tfrole=PR\n\tchousing\n");
    assert_eq!(writes, [Action::Code("XX-2:2".parse().unwrap(), code(HOUSING))]);
    let shown = screen(&app);
    assert_eq!(shown[0], "┌ sources · ana · 1/2 ─┐┌ XX-2 · interview · en · R (PR, F, BE) ───────────────┐");
    assert_eq!(shown[1], "│>XX-2            1/1  ││   1 I (interviewer)                                  │");
    assert_eq!(shown[2], "│                      ││      What helped most?                               │");
    keys(&project, &mut app, "\tfrole=EPR,PR\nk");
    assert_eq!(
        screen(&app)[1..3],
        [
            "│>XX-1            0/3  ││   1 I (interviewer)                                  │",
            "│ XX-2            1/1  ││      Where did you sleep after release?              │"
        ]
    );
    keys(&project, &mut app, "fshoe\n");
    assert_eq!(app.status, "`shoe`: expected KEY=V1,V2");
}

#[test]
fn the_help_lists_every_key() {
    let w = project();
    let (_, mut app) = open(&w);
    app.handle(Key::Char('?'));
    let expected = [
        "│    ┌ keys ──────────────────────────────────────────────────────────────┐    │",
        "│    │j/k, ↓/↑   next / previous respondent segment (or source)           │re. │",
        "│    │Tab        switch between sources and transcript                    │    │",
        "│    │Enter, c   code the segment: open the code picker                   │    │",
        "│    │v          start (again: drop) a range of segments: c codes it      │    │",
        "│    │x, d       remove one of your codes from the segment                │    │",
        "│    │a / r      accept / reject the segment's suggestions                │    │",
        "│    │A / R      every suggestion of those codes in the source            │    │",
        "│    │u          undo your last change since the coder opened             │    │",
        "│    │/ , n      search the source's respondent text; next hit            │    │",
        "│    │f          filter the sources by attribute: country=PT role=EPR,PR  │    │",
        "│    │o          another coder's codes beside yours (again: next, none)   │    │",
        "│    │] / [      next / previous segment where that coder disagrees       │    │",
        "│    │picker     type to filter, ↓/↑ choose, Enter apply, Esc close       │    │",
        "│    │?          this help (any key closes it)                            │    │",
        "│    │q, Ctrl-C  quit                                                     │    │",
        "│    └────────────────────────────────────────────────────────────────────┘    │",
    ];
    assert_eq!(screen(&app)[3..20], expected);
}

#[test]
fn tui_without_a_terminal_is_a_usage_error() {
    let w = project();
    let r = w.run(&["--project", "p", "tui"]).exits(2);
    assert_eq!(r.stderr, "quire: `quire tui` needs a terminal (use `quire code` in scripts)\n");
}

/// The pane of the tmux session `coder` at `socket` once it shows `text` (within ten seconds).
fn wait_for(socket: &str, text: &str) -> String {
    let start = Instant::now();
    loop {
        let out = Command::new("tmux").args(["-S", socket, "capture-pane", "-p", "-t", "coder"]).output().unwrap();
        let pane = String::from_utf8_lossy(&out.stdout).to_string();
        if pane.contains(text) || start.elapsed() > Duration::from_secs(10) {
            return pane;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn tmux(socket: &str, args: &[&str]) {
    assert!(Command::new("tmux").args(["-S", socket]).args(args).status().unwrap().success(), "tmux {args:?}");
}

#[test]
fn the_real_binary_codes_a_segment_in_tmux() {
    if !tool_works("tmux", &["-V"]) {
        return skip("tmux is not installed: the terminal coder is not driven end to end");
    }
    let w = project();
    // The server's socket in the work directory: nothing is left behind in /tmp.
    let socket = w.path("tmux.sock").display().to_string();
    let command = format!("{} --project {} tui --coder ana", env!("CARGO_BIN_EXE_quire"), w.path("p").display());
    tmux(&socket, &["new-session", "-d", "-s", "coder", "-x", "80", "-y", "24", &command]);
    let first = wait_for(&socket, "sources · ana");
    tmux(&socket, &["send-keys", "-t", "coder", "j", "c", "housing", "Enter"]);
    let after = wait_for(&socket, "added");
    tmux(&socket, &["send-keys", "-t", "coder", "q"]);
    let _ = Command::new("tmux").args(["-S", &socket, "kill-server"]).output();
    assert!(first.contains("│>XX-1            0/3  │"), "{first}");
    assert!(after.contains("XX-1:3: challenges/structural/housing added │ n housing"), "{after}");
    assert!(after.contains("│>XX-1            1/3  │"), "{after}");
    assert_eq!(codings(&w, "ana.csv"), format!("{HEADER}XX-1,90,132,{HOUSING},ana,T,\"Then the shelter, which was full of users.\"\n"));
    let log = w.run(&["--project", "p", "log", "--limit", "1"]).ok().stdout;
    assert!(log.contains("quire tui code XX-1:3 challenges/structural/housing --coder ana"), "{log}");
    assert!(Path::new(&w.path("p/codings/ana.csv")).exists());
}

#[test]
fn code_without_a_target_off_a_terminal_is_a_usage_error() {
    let w = project();
    let r = w.run(&["--project", "p", "code"]).exits(2);
    assert_eq!(r.stderr, "quire: `quire code` needs a target and codes (SOURCE:N CODE...); with neither, on a terminal, it opens the coder\n");
}

#[test]
fn code_with_a_target_still_needs_codes() {
    let w = project();
    let r = w.run(&["--project", "p", "code", "XX-1:2"]).exits(2);
    assert!(r.stderr.starts_with("error: the following required arguments were not provided:\n  <CODES>..."), "{}", r.stderr);
}

#[test]
fn code_without_a_target_opens_the_coder_in_tmux() {
    if !tool_works("tmux", &["-V"]) {
        return skip("tmux is not installed: the terminal coder is not driven end to end");
    }
    let w = project();
    let socket = w.path("tmux.sock").display().to_string();
    let command = format!("{} --project {} code --coder bea", env!("CARGO_BIN_EXE_quire"), w.path("p").display());
    tmux(&socket, &["new-session", "-d", "-s", "coder", "-x", "80", "-y", "24", &command]);
    let first = wait_for(&socket, "sources · bea");
    tmux(&socket, &["send-keys", "-t", "coder", "q"]);
    let _ = Command::new("tmux").args(["-S", &socket, "kill-server"]).output();
    assert!(first.contains("┌ sources · bea ───────┐┌ XX-1 · interview · en · R (EPR, M, BE) ──────────────┐"), "{first}");
}

#[test]
fn o_shows_another_coders_codes_and_brackets_jump_to_the_disagreements() {
    let w = project();
    w.run(&["--project", "p", "code", "XX-1:3", "housing", "--coder", "bea"]).ok();
    w.run(&["--project", "p", "code", "XX-1:5", "stigma", "--coder", "bea"]).ok();
    let (project, mut app) = open(&w);
    keys(&project, &mut app, "jchousing\nko");
    let expected = [
        "│>XX-1            1/3  ││   1 I (interviewer)                                  │",
        "│ XX-2            0/1  ││      Where did you sleep after release?              │",
        "│                      ││▶  2 R (EPR, M, BE)                                   │",
        "│                      ││    │ At a friend's flat for two weeks, then nowhere. │",
        "│                      ││=   ┆ bea: -                                          │",
        "│                      ││   3 R (EPR, M, BE)                                   │",
        "│                      ││n   │ Then the shelter, which was full of users.      │",
        "│                      ││=   ┆ bea: n                                          │",
        "│                      ││   4 I (interviewer)                                  │",
        "│                      ││      Did anyone wait for you?                        │",
        "│                      ││   5 R (EPR, M, BE)                                   │",
        "│                      ││    │ My sister waited at the gate.                   │",
        "│                      ││≠   ┆ bea: h                                          │",
    ];
    assert_eq!(screen(&app)[1..14], expected);
    keys(&project, &mut app, "]");
    assert_eq!(app.selected().unwrap().to_string(), "XX-1:5");
    keys(&project, &mut app, "]");
    assert_eq!(app.status, "no further disagreement with bea in XX-1");
    keys(&project, &mut app, "o");
    assert_eq!(app.status, "only your codings");
    assert!(!screen(&app).iter().any(|l| l.contains("bea")));
}

#[test]
fn capital_a_accepts_every_suggestion_of_the_segments_codes_in_the_source() {
    let w = project();
    w.run(&["--project", "p", "autocode"]).ok();
    let (project, mut app) = open(&w);
    keys(&project, &mut app, "A");
    assert_eq!(app.status, format!("XX-1:2: accepted 2 suggestion(s) of {HOUSING}"));
    assert_eq!(
        codings(&w, "ana.csv"),
        format!("{HEADER}XX-1,41,88,{HOUSING},ana,T,\"At a friend's flat for two weeks, then nowhere.\"\nXX-1,90,132,{HOUSING},ana,T,\"Then the shelter, which was full of users.\"\n")
    );
    assert_eq!(
        codings(&w, "auto.csv"),
        format!("{HEADER}XX-1,90,132,reasons/shelters-with-users,auto,T,\"Then the shelter, which was full of users.\"\n")
    );
    // (The history's command line is per process, so the tests in this process, which run
    // side by side, do not check it; the tmux test does.)
}

#[test]
fn slash_finds_the_next_respondent_segment_holding_the_words_and_n_the_one_after() {
    let w = project();
    let (project, mut app) = open(&w);
    keys(&project, &mut app, "/THE\n");
    assert_eq!((app.selected().unwrap().to_string(), app.status.as_str()), ("XX-1:3".into(), "/THE"));
    keys(&project, &mut app, "n");
    assert_eq!(app.selected().unwrap().to_string(), "XX-1:5");
    // Interviewer text is not searched: "anyone" is only in segment 4.
    keys(&project, &mut app, "/anyone\n");
    assert_eq!((app.selected().unwrap().to_string(), app.status.as_str()), ("XX-1:5".into(), "`anyone` not found in XX-1"));
}

#[test]
fn v_then_moving_codes_each_respondent_segment_of_the_range() {
    let w = project();
    let (project, mut app) = open(&w);
    keys(&project, &mut app, "vjj");
    // The headers of the respondent segments (after the title): the range marked `+`.
    let heads: Vec<String> = screen(&app).into_iter().skip(1).filter(|l| l.contains(" R (EPR")).collect();
    assert_eq!(
        heads,
        [
            "│ XX-2            0/1  ││+  2 R (EPR, M, BE)                                   │",
            "│                      ││+  3 R (EPR, M, BE)                                   │",
            "│                      ││▶  5 R (EPR, M, BE)                                   │"
        ]
    );
    let writes = keys(&project, &mut app, "chousing\n");
    assert_eq!(writes, [Action::CodeRange { source: "XX-1".parse().unwrap(), first: 2, last: 5, code: code(HOUSING) }]);
    assert_eq!(app.status, format!("XX-1:2-5: {HOUSING} added to 3 segment(s)"));
    assert_eq!(
        codings(&w, "ana.csv"),
        format!(
            "{HEADER}XX-1,41,88,{HOUSING},ana,T,\"At a friend's flat for two weeks, then nowhere.\"\nXX-1,90,132,{HOUSING},ana,T,\"Then the shelter, which was full of users.\"\nXX-1,164,193,{HOUSING},ana,T,My sister waited at the gate.\n"
        )
    );
    assert_eq!(app.anchor, None);
}
