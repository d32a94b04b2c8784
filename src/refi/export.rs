//! A quire project as a `.qdpx` file: users from coders, the code tree with guids, variables and
//! cases from respondent attributes, text sources with their transcript header in `Description`,
//! and every coding as a `PlainTextSelection` in Unicode code points. The output is deterministic.

use std::collections::{BTreeMap, BTreeSet};

use super::archive;
use super::codebook::{to_refi, with_guids};
use super::import::CODEBOOK_ENTRY;
use super::{
    is_datetime, qde, stable_guid, Case, Coding, PlainText, Project as RefiProject, Selection, TextSource, User, Value, Variable, VariableType,
    POSITIONS_NOTE,
};
use crate::codebook::{Code, CodePath, Codebook};
use crate::coding::{store, Coder};
use crate::corpus::{transcript, Source};
use crate::error::{Error, Result};
use crate::project::Project;

/// What an export holds.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub users: usize,
    pub codes: usize,
    pub variables: usize,
    pub cases: usize,
    pub sources: usize,
    pub selections: usize,
    pub codings: usize,
}

/// Builds the `.qdpx` bytes of a project.
pub fn export(project: &Project) -> Result<(Vec<u8>, Summary)> {
    let codebook = Codebook::load(&project.codebook_path())?;
    let sources = project.load_sources()?;
    let mut codings = store::read_all(project)?;
    store::normalise(&mut codings);
    let coders = store::coders(project)?;
    build(&project.manifest.name, &codebook, &sources, &codings, &coders)
}

/// Builds the `.qdpx` bytes from project content.
pub fn build(name: &str, codebook: &Codebook, sources: &[Source], codings: &[crate::coding::Coding], coders: &[Coder]) -> Result<(Vec<u8>, Summary)> {
    let refi_codes = to_refi(codebook);
    let mut code_guids: BTreeMap<CodePath, String> = BTreeMap::new();
    fn paths(codes: &[Code], refi: &[super::Code], parent: &CodePath, out: &mut BTreeMap<CodePath, String>) {
        for (c, r) in codes.iter().zip(refi) {
            let p = parent.child(&c.id);
            out.insert(p.clone(), r.guid.clone());
            paths(&c.children, &r.children, &p, out);
        }
    }
    paths(&codebook.codes, &refi_codes, &CodePath::new(Vec::new()), &mut code_guids);

    // Users: every coder with a file or a coding.
    let mut all_coders: BTreeSet<Coder> = coders.iter().cloned().collect();
    all_coders.extend(codings.iter().map(|c| c.coder.clone()));
    let user_guid = |c: &Coder| stable_guid("user", c.as_str());
    let users: Vec<User> = all_coders.iter().map(|c| User { guid: user_guid(c), name: Some(c.to_string()), id: None }).collect();

    // Variables: source attributes and respondents' own attributes; cases: one per respondent case.
    let source_values = |s: &Source| -> Vec<(String, String)> {
        let mut v = vec![
            ("country".to_string(), s.country.to_string()),
            ("language".into(), s.language.to_string()),
            ("method".into(), s.method.to_string()),
        ];
        v.extend(s.attributes.iter().cloned());
        v
    };
    struct CaseRow {
        values: BTreeMap<String, String>,
        sources: Vec<String>,
    }
    let mut cases: BTreeMap<String, CaseRow> = BTreeMap::new();
    let mut var_values: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let source_guid = |s: &Source| stable_guid("source", s.id.as_str());
    for s in sources {
        for (k, v) in source_values(s) {
            var_values.entry(k).or_default().push(v);
        }
        for (speaker, r) in s.respondents() {
            let mut values: BTreeMap<String, String> = speaker.attributes.clone().into_iter().filter(|(k, _)| k != "case").collect();
            values.insert("country".into(), r.country.to_string());
            let row = cases.entry(r.case.clone()).or_insert_with(|| CaseRow { values: values.clone(), sources: Vec::new() });
            let guid = source_guid(s);
            if !row.sources.contains(&guid) {
                row.sources.push(guid);
            }
            for (k, v) in values {
                var_values.entry(k).or_default().push(v);
            }
        }
    }
    let variables: Vec<Variable> = var_values
        .iter()
        .map(|(name, values)| {
            let integer = values.iter().all(|v| !v.is_empty() && v.trim_start_matches('-').chars().all(|c| c.is_ascii_digit()) && v != "-");
            Variable {
                guid: stable_guid("variable", name),
                name: name.clone(),
                kind: if integer { VariableType::Integer } else { VariableType::Text },
                description: None,
            }
        })
        .collect();
    let value_list = |pairs: &mut dyn Iterator<Item = (String, String)>| -> Vec<Value> {
        let mut out: Vec<Value> = pairs.map(|(k, v)| Value { variable: stable_guid("variable", &k), value: v }).collect();
        out.sort_by(|a, b| {
            let name = |g: &str| variables.iter().position(|x| x.guid == g);
            name(&a.variable).cmp(&name(&b.variable))
        });
        out
    };
    let refi_cases: Vec<Case> = cases
        .iter()
        .map(|(name, row)| Case {
            guid: stable_guid("case", name),
            name: Some(name.clone()),
            values: value_list(&mut row.values.clone().into_iter()),
            sources: row.sources.clone(),
        })
        .collect();

    // Sources and selections: one selection per coded span, its codings sorted by code and coder.
    let mut by_source: BTreeMap<&str, BTreeMap<(usize, usize), Vec<&crate::coding::Coding>>> = BTreeMap::new();
    for c in codings {
        by_source.entry(c.source.as_str()).or_default().entry((c.start, c.end)).or_default().push(c);
    }
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut refi_sources = Vec::new();
    let mut summary = Summary::default();
    for s in sources {
        let guid = source_guid(s);
        let len = s.body.chars().count();
        let mut selections = Vec::new();
        for ((start, end), group) in by_source.get(s.id.as_str()).into_iter().flatten() {
            if *end > len || start >= end {
                return Err(Error::Usage(format!(
                    "{}@{start}..{end}: a coding outside its source; run `quire ingest --replace` or fix codings/",
                    s.id
                )));
            }
            let key = format!("{}@{start}..{end}", s.id);
            let mut refi_codings = Vec::new();
            for c in group {
                let Some(code) = code_guids.get(&c.code) else {
                    return Err(Error::UnknownCode { query: c.code.to_string(), suggestions: Vec::new() });
                };
                refi_codings.push(Coding {
                    guid: stable_guid("coding", &format!("{key}:{}:{}", c.code, c.coder)),
                    code: code.clone(),
                    creating_user: Some(user_guid(&c.coder)),
                    created: Some(c.created.clone()).filter(|t| is_datetime(t)),
                    line: 0,
                });
            }
            summary.codings += refi_codings.len();
            selections.push(Selection {
                guid: stable_guid("selection", &key),
                start: *start as i64,
                end: *end as i64,
                creating_user: Some(user_guid(&group[0].coder)),
                created: Some(group[0].created.clone()).filter(|t| is_datetime(t)),
                codings: refi_codings,
                line: 0,
            });
        }
        summary.selections += selections.len();
        files.push((format!("Sources/{guid}.txt"), s.body.clone().into_bytes()));
        refi_sources.push(TextSource {
            guid: guid.clone(),
            name: Some(s.id.to_string()),
            description: Some(transcript::render_header(s)),
            text: PlainText::Path(format!("internal://{guid}.txt")),
            selections,
            values: value_list(&mut source_values(s).into_iter()),
            line: 0,
        });
    }
    for c in codings {
        if !sources.iter().any(|s| s.id == c.source) {
            return Err(Error::UnknownSource(c.source.to_string()));
        }
    }

    let project = RefiProject {
        name: name.to_string(),
        origin: Some(super::origin()),
        users,
        codes: refi_codes,
        variables,
        cases: refi_cases,
        sources: refi_sources,
        description: Some(format!("Exported by {}. {POSITIONS_NOTE} Each source's Description holds its quire transcript header.", super::origin())),
        ignored: Vec::new(),
    };
    summary.users = project.users.len();
    summary.codes = codebook.len();
    summary.variables = project.variables.len();
    summary.cases = project.cases.len();
    summary.sources = project.sources.len();
    let mut entries = vec![("project.qde".to_string(), qde::write(&project).into_bytes())];
    entries.extend(files);
    entries.push((CODEBOOK_ENTRY.to_string(), with_guids(codebook).to_json().into_bytes()));
    Ok((archive::write(&entries)?, summary))
}
