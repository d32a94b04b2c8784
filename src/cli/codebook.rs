//! `quire codebook`: print, check and edit the code tree (tree, show, validate, add, rename,
//! move, merge, remove).

use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use super::Ctx;
use crate::codebook::edit::{self, PathChange};
use crate::codebook::validate::{valid_color, validate};
use crate::codebook::{Code, CodePath, Codebook};
use crate::coding::store;
use crate::error::{Error, Result, Severity};
use crate::output::{out_err, write_json, Format, Table};
use crate::project::txn::Transaction;
use crate::project::{write_atomic, Project};

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Print the tree of codes.
    #[command(after_help = "Example:\n  quire codebook tree --depth 2")]
    Tree {
        /// Read this codebook file instead of the project's.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// Show codes down to this depth only.
        #[arg(long)]
        depth: Option<usize>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Print one code: path, name, description, guid, colour, whether it can be applied, rules.
    #[command(after_help = "Example:\n  quire codebook show structural/housing")]
    Show {
        /// Code path or unique suffix.
        code: String,
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Check ids, names, guids, colours and rules; exit 3 on errors (exit codes: README, Development).
    #[command(after_help = "Example:\n  quire codebook validate codebook/first48.json")]
    Validate {
        /// Codebook file (default: the project's).
        file: Option<PathBuf>,
    },
    /// Add a code: PATH is the parent's path (or suffix) and the new id, e.g. `structural/debts`.
    #[command(after_help = "Example:\n  quire codebook add structural/debts --name \"Debts\" --rule fr='dette OR dettes'")]
    Add {
        path: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long)]
        color: Option<String>,
        /// Autocoding rule for one language, `LANG=QUERY` (repeatable).
        #[arg(long = "rule", value_name = "LANG=QUERY", conflicts_with = "folder")]
        rules: Vec<String>,
        /// A folder: it groups codes (tables count its codes under it) but cannot be applied
        /// (REFI-QDA `isCodable="false"`).
        #[arg(long)]
        folder: bool,
        /// Print what would change (the code, codings moved or deleted); write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Change a code's id (path segment) and/or name.
    #[command(after_help = "Example:\n  quire codebook rename housing lost-housing --name \"Housing lost\"")]
    Rename {
        code: String,
        /// New id (keeps the code's place in the tree).
        new_id: Option<String>,
        #[arg(long)]
        name: Option<String>,
        /// Print what would change (the code, codings moved or deleted); write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Move a code and its subtree under another parent (or to the top with --top).
    #[command(after_help = "Example:\n  quire codebook move boredom challenges/individual")]
    Move {
        code: String,
        parent: Option<String>,
        #[arg(long, conflicts_with = "parent")]
        top: bool,
        /// Print what would change (the code, codings moved or deleted); write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Merge a code into another: children move over and its codings follow.
    #[command(after_help = "Example:\n  quire codebook merge loneliness-use loneliness")]
    Merge {
        source: String,
        target: String,
        /// Print what would change (the code, codings moved or deleted); write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write the codebook as REFI-QDA (.qdc), JSON or Markdown, to stdout or a file.
    #[command(after_help = "Example:\n  quire codebook export --format qdc --out first48.qdc\n\n\
qdc keeps names, guids (a stable one is made for a code without), colours and descriptions;\n\
autocoding rules have no place in a .qdc (json keeps them).")]
    Export {
        #[arg(long, value_enum, default_value = "qdc")]
        format: ExportFormat,
        /// Write here (atomically) instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Export this codebook file instead of the project's.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// Read codes from a REFI-QDA codebook (.qdc) or project (.qdpx) into the project's codebook.
    #[command(after_help = "Example:\n  quire codebook import atlas-codes.qdc\n\n\
An empty project codebook takes the file's codes. Otherwise only codes that are missing are\n\
added: a code is present when a code with its guid exists anywhere in the tree, or else one at\n\
the same path (ids are made from names); nothing is renamed, moved or removed.")]
    Import {
        file: PathBuf,
        /// Report what would be added, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Remove a code (with --recursive, also its children).
    #[command(after_help = "Example:\n  quire codebook remove unused-code")]
    Remove {
        code: String,
        #[arg(long)]
        recursive: bool,
        /// Also delete the codings that use the code (otherwise they stop the removal).
        #[arg(long)]
        force: bool,
        /// Print what would change (the code, codings moved or deleted); write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Formats of `codebook export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// REFI-QDA codebook exchange (urn:QDA-XML:codebook:1.0).
    Qdc,
    /// quire's codebook JSON.
    Json,
    /// A Markdown outline with descriptions.
    Md,
}

pub fn run(command: Sub, ctx: &mut Ctx<'_>) -> Result<()> {
    match command {
        Sub::Export { format, out, file } => export(ctx, format, out, file),
        Sub::Import { file, dry_run } => import(ctx, &file, dry_run),
        Sub::Tree { file, depth, format } => {
            let (codebook, _) = read(ctx, file)?;
            tree(&codebook, depth, format, ctx.out)
        }
        Sub::Show { code, file, format } => {
            let (codebook, _) = read(ctx, file)?;
            let path = codebook.resolve(&code)?;
            show(&codebook, &path, format, ctx.out)
        }
        Sub::Validate { file } => validate_cmd(ctx, file),
        Sub::Add { path, name, description, color, rules, folder, dry_run } => {
            edit_project(ctx, dry_run, |cb, _| add(cb, &path, &name, &description, color.as_deref(), &rules, folder))
        }
        Sub::Rename { code, new_id, name, dry_run } => edit_project(ctx, dry_run, |cb, _| {
            let path = cb.resolve(&code)?;
            if new_id.is_none() && name.is_none() {
                return Err(Error::Usage("give a new id, --name, or both".into()));
            }
            let changes = edit::rename(cb, &path, new_id.as_deref(), name.as_deref())?;
            Ok((format!("renamed {path}"), changes))
        }),
        Sub::Move { code, parent, top, dry_run } => edit_project(ctx, dry_run, |cb, _| {
            let path = cb.resolve(&code)?;
            let parent = match (&parent, top) {
                (Some(p), _) => Some(cb.resolve(p)?),
                (None, true) => None,
                (None, false) => return Err(Error::Usage("give the new parent, or --top".into())),
            };
            let changes = edit::move_to(cb, &path, parent.as_ref())?;
            Ok((format!("moved {path}"), changes))
        }),
        Sub::Merge { source, target, dry_run } => edit_project(ctx, dry_run, |cb, _| {
            let from = cb.resolve(&source)?;
            let into = cb.resolve(&target)?;
            let changes = edit::merge(cb, &from, &into)?;
            Ok((format!("merged {from} into {into}"), changes))
        }),
        Sub::Remove { code, recursive, force, dry_run } => edit_project(ctx, dry_run, |cb, project| {
            let path = cb.resolve(&code)?;
            let used = store::count_using(project, &path)?;
            if used > 0 && !force {
                return Err(Error::refused(format!("{used} coding(s) use `{path}` or its children; pass --force to delete them too")));
            }
            let changes = edit::remove(cb, &path, recursive)?;
            Ok((format!("removed {path}"), changes))
        }),
    }
}

/// `codebook add`: the new code (or folder) from its options, added under its parent.
fn add(
    cb: &mut Codebook,
    path: &str,
    name: &str,
    description: &str,
    color: Option<&str>,
    rules: &[String],
    folder: bool,
) -> Result<(String, Vec<edit::PathChange>)> {
    let (parent, id) = match path.rsplit_once('/') {
        Some((parent, id)) => (Some(cb.resolve(parent)?), id.to_string()),
        None => (None, path.to_string()),
    };
    let mut code = Code::new(&id, name);
    code.description = description.to_string();
    code.guid = Some(uuid::Uuid::new_v4().to_string());
    if let Some(c) = color {
        if !valid_color(c) {
            return Err(Error::Usage(format!("`{c}` is not a colour (#RRGGBB)")));
        }
        code.color = Some(c.to_string());
    }
    for r in rules {
        let (lang, query) = r.split_once('=').ok_or_else(|| Error::Usage(format!("--rule `{r}`: expected LANG=QUERY")))?;
        code.rules.insert(lang.trim().to_string(), query.trim().to_string());
    }
    code.codable = !folder;
    let added = edit::add(cb, parent.as_ref(), code)?;
    Ok((format!("added {}{added}", if folder { "folder " } else { "" }), Vec::new()))
}

/// `codebook export`: the project's (or a file's) codebook as .qdc, JSON or Markdown.
fn export(ctx: &mut Ctx<'_>, format: ExportFormat, out: Option<PathBuf>, file: Option<PathBuf>) -> Result<()> {
    let (codebook, _) = read(ctx, file)?;
    let text = match format {
        ExportFormat::Qdc => crate::refi::codebook::write_qdc(&codebook)?,
        ExportFormat::Json => codebook.to_json(),
        ExportFormat::Md => markdown(&codebook),
    };
    match out {
        Some(path) => {
            write_atomic(&path, text.as_bytes())?;
            ctx.note(format_args!("{}: {} codes", path.display(), codebook.len()));
        }
        None => ctx.out.write_all(text.as_bytes()).map_err(out_err)?,
    }
    Ok(())
}

fn markdown(codebook: &Codebook) -> String {
    let mut s = format!("# {}\n\n", codebook.title.as_deref().unwrap_or(&codebook.name));
    for v in codebook.walk() {
        let indent = "  ".repeat(v.path.depth() - 1);
        s.push_str(&format!("{indent}- **{}** `{}`", v.code.name, v.path));
        if !v.code.description.is_empty() {
            s.push_str(&format!(": {}", v.code.description.replace('\n', " ")));
        }
        s.push('\n');
    }
    s
}

/// Codes of a `.qdc` (or of a `.qdpx` project's codebook) into the project's codebook.
fn import(ctx: &mut Ctx<'_>, file: &std::path::Path, dry_run: bool) -> Result<()> {
    let project = ctx.project()?;
    let _lock = project.lock()?;
    let path = project.codebook_path();
    let mut codebook = Codebook::load(&path)?;
    let original = codebook.clone();
    let (codes, warnings) = if crate::merge::is_qdpx(file) {
        let imported = crate::refi::import::read(file, &crate::refi::import::Options::default())?;
        (imported.codebook.codes, imported.report.warnings)
    } else {
        let qdc = crate::refi::codebook::read_qdc_file(file)?;
        let converted = crate::refi::codebook::from_refi(&qdc.codes, &Default::default());
        let mut warnings = qdc.warnings;
        warnings.extend(converted.warnings);
        (converted.codes, warnings)
    };
    for w in &warnings {
        ctx.note(format_args!("warning: {}: {w}", file.display()));
    }
    let message = if codebook.codes.is_empty() {
        codebook.codes = codes;
        format!("{}: the empty codebook takes {} codes", file.display(), codebook.len())
    } else {
        let report = crate::refi::codebook::merge_into(&mut codebook, &codes);
        for p in &report.added {
            ctx.note(format_args!("added {p}"));
        }
        if !report.by_name.is_empty() {
            ctx.note(format_args!(
                "{} code(s) found only by the names of their path (their guids differ: another program may have rewritten them):",
                report.by_name.len()
            ));
            for (from, to) in report.by_name.iter().take(10) {
                ctx.note(format_args!("  {from} taken for {to}"));
            }
            if report.by_name.len() > 10 {
                ctx.note(format_args!("  ... and {} more", report.by_name.len() - 10));
            }
        }
        format!(
            "{}: {} code(s) added, {} already present by guid, {} by path, {} by name path",
            file.display(),
            report.added.len(),
            report.by_guid,
            report.by_path,
            report.by_name.len()
        )
    };
    let errors: Vec<_> = validate(&codebook).into_iter().filter(|i| i.severity == Severity::Error).collect();
    if !errors.is_empty() {
        return Err(Error::CodebookInvalid { path, issues: errors });
    }
    if !dry_run && codebook != original {
        // A transaction, so that the change is in the project's history (`quire undo`).
        let mut tx = Transaction::new(&project);
        tx.write(path, codebook.to_json().into_bytes());
        tx.commit()?;
    }
    ctx.note(format_args!("{message}{}", if dry_run { " (dry run: nothing written)" } else { "" }));
    Ok(())
}

fn read(ctx: &Ctx<'_>, file: Option<PathBuf>) -> Result<(Codebook, PathBuf)> {
    let path = match file {
        Some(f) => f,
        None => ctx.project()?.codebook_path(),
    };
    Ok((Codebook::load(&path)?, path))
}

/// Loads the project's codebook under the writer lock, applies `change`, and writes it back
/// atomically with the codings that follow it. Nothing is written if the change fails, nor
/// with `dry_run` (which says what would change).
fn edit_project(ctx: &mut Ctx<'_>, dry_run: bool, change: impl FnOnce(&mut Codebook, &Project) -> Result<(String, Vec<PathChange>)>) -> Result<()> {
    let project = ctx.project()?;
    let _lock = project.lock()?;
    let path = project.codebook_path();
    let mut codebook = Codebook::load(&path)?;
    let (message, changes) = change(&mut codebook, &project)?;
    let errors: Vec<_> = validate(&codebook).into_iter().filter(|i| i.severity == Severity::Error).collect();
    if !errors.is_empty() {
        return Err(Error::CodebookInvalid { path, issues: errors });
    }
    let mut tx = Transaction::new(&project);
    let (moved, removed) = store::follow(&mut tx, &project, &changes)?;
    tx.write(path, codebook.to_json().into_bytes());
    if dry_run {
        // Dropped uncommitted: staged files are removed, nothing is renamed into place.
        drop(tx);
        ctx.note(format_args!("would have {message} (dry run: nothing written)"));
        ctx.note(format_args!("codings: {moved} would move with their code, {removed} would be deleted"));
        return Ok(());
    }
    tx.commit()?;
    ctx.note(format_args!("{message}"));
    if moved + removed > 0 {
        ctx.note(format_args!("codings: {moved} moved with their code, {removed} deleted"));
    }
    Ok(())
}

#[derive(Serialize)]
struct TreeNode<'a> {
    id: &'a str,
    path: String,
    name: &'a str,
    /// Only a folder says so (`false`).
    #[serde(skip_serializing_if = "is_true")]
    codable: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    children: Vec<TreeNode<'a>>,
}

fn is_true(b: &bool) -> bool {
    *b
}

/// ` (folder)` after a folder's name in text listings.
fn folder_mark(code: &Code) -> &'static str {
    if code.codable {
        ""
    } else {
        "  (folder)"
    }
}

fn tree_nodes<'a>(codes: &'a [Code], parent: &CodePath, depth: Option<usize>) -> Vec<TreeNode<'a>> {
    codes
        .iter()
        .map(|c| {
            let path = parent.child(&c.id);
            let children = if depth.is_some_and(|d| path.depth() >= d) { Vec::new() } else { tree_nodes(&c.children, &path, depth) };
            TreeNode { id: &c.id, path: path.to_string(), name: &c.name, codable: c.codable, children }
        })
        .collect()
}

fn tree(codebook: &Codebook, depth: Option<usize>, format: Format, out: &mut dyn Write) -> Result<()> {
    let visits: Vec<_> = codebook.walk().into_iter().filter(|v| depth.is_none_or(|d| v.path.depth() <= d)).collect();
    match format {
        Format::Json => write_json(out, &tree_nodes(&codebook.codes, &CodePath::new(Vec::new()), depth)),
        Format::Text => {
            for v in &visits {
                let indent = "  ".repeat(v.path.depth() - 1);
                writeln!(out, "{indent}{}  {}{}", v.code.id, v.code.name, folder_mark(v.code)).map_err(out_err)?;
            }
            writeln!(out, "{} codes", visits.len()).map_err(out_err)
        }
        Format::Md => {
            for v in &visits {
                let indent = "  ".repeat(v.path.depth() - 1);
                writeln!(out, "{indent}- **{}** `{}`{}", v.code.name, v.path, folder_mark(v.code)).map_err(out_err)?;
            }
            Ok(())
        }
        Format::Csv => {
            let mut table = Table::new(["path", "depth", "name", "description", "codable"]);
            for v in &visits {
                table.push(vec![
                    v.path.to_string(),
                    v.path.depth().to_string(),
                    v.code.name.clone(),
                    v.code.description.clone(),
                    v.code.codable.to_string(),
                ]);
            }
            table.write(Format::Csv, out)
        }
    }
}

fn show(codebook: &Codebook, path: &CodePath, format: Format, out: &mut dyn Write) -> Result<()> {
    let code = codebook.get(path).expect("resolved path exists");
    if format == Format::Json {
        #[derive(Serialize)]
        struct Shown<'a> {
            path: String,
            #[serde(flatten)]
            code: &'a Code,
        }
        return write_json(out, &Shown { path: path.to_string(), code });
    }
    let mut table = Table::new(["field", "value"]);
    table.push(vec!["path".into(), path.to_string()]);
    table.push(vec!["name".into(), code.name.clone()]);
    table.push(vec!["description".into(), code.description.clone()]);
    table.push(vec!["guid".into(), code.guid.clone().unwrap_or_default()]);
    table.push(vec!["color".into(), code.color.clone().unwrap_or_default()]);
    table.push(vec!["codable".into(), if code.codable { "yes".into() } else { "no (a folder: groups codes, cannot be applied)".into() }]);
    for (lang, rule) in &code.rules {
        table.push(vec![format!("rule.{lang}"), rule.clone()]);
    }
    let children: Vec<String> = code.children.iter().map(|c| path.child(&c.id).to_string()).collect();
    table.push(vec!["children".into(), children.join(", ")]);
    table.write(format, out)
}

fn validate_cmd(ctx: &mut Ctx<'_>, file: Option<PathBuf>) -> Result<()> {
    let path = match file {
        Some(f) => f,
        None => ctx.project()?.codebook_path(),
    };
    let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    let codebook = Codebook::from_json(&path, &bytes)?;
    let issues = validate(&codebook);
    for i in &issues {
        writeln!(ctx.out, "{}: {}: {}: {}", path.display(), i.pointer, i.severity, i.message).map_err(out_err)?;
    }
    let errors: Vec<_> = issues.iter().filter(|i| i.severity == Severity::Error).cloned().collect();
    if !errors.is_empty() {
        return Err(Error::CodebookInvalid { path, issues: errors });
    }
    ctx.note(format_args!("{}: {} codes, valid ({} warning(s))", path.display(), codebook.len(), issues.len()));
    Ok(())
}
