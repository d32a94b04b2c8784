//! Synthetic corpora for benchmarks: N transcripts in the ingest format (mixed languages,
//! interviews and focus groups, attributes drawn over country, role and gender), built
//! deterministically from a seed out of the shipped fixtures' paragraphs, plus codings for them.

use std::collections::BTreeMap;
use std::path::Path;

use crate::codebook::Codebook;
use crate::coding::store;
use crate::coding::Coding;
use crate::corpus::{transcript, Language, Source};
use crate::embedded;
use crate::error::Result;
use crate::project::write_atomic;

/// A small deterministic generator (xorshift64*).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// English material (the fixtures are in the four interview languages).
const ENGLISH: [&str; 12] = [
    "The first night I had nowhere to go. The hostel was full, so I walked around the station until the morning and tried not to think about the people I used to know there.",
    "They gave me three days of methadone and a letter for a doctor I had never met. On Monday the surgery was closed, and by Tuesday I was sick and back with the old crowd.",
    "What helped was my sister. She picked me up at the gate, she had cleared a room, and she sat with me at the benefits office until somebody finally listened.",
    "Inside, everything is decided for you: when you eat, when you sleep, when you see the nurse. Outside you suddenly have to organise all of it yourself, and nobody tells you how.",
    "I knew my tolerance was gone, so I took less than half of what I used to take and I made sure somebody was with me. A friend of mine died doing it alone.",
    "The worst part is the paperwork. No address means no bank account, no bank account means no benefits, and without benefits you cannot rent anything. You go round in circles.",
    "We try to start the plan six months before release, but we often learn the release date two days before, and then all the appointments we made are worthless.",
    "The probation service, the prison health unit and the treatment centre all have their own files. Nobody sees the whole person, and the gaps are exactly where people fall.",
    "If there is one thing I would change, it is the Friday releases. People walk out with a bag and a phone number that nobody answers until Monday.",
    "Work saved me. The job coach came into the prison twice before I left, so on my first Monday I already had a place to be at eight in the morning.",
    "Loneliness is the real danger. In prison there is always noise; outside, the silence in a small room at night pushes you straight back to the people who still use.",
    "A leaflet with the addresses of the services in town sounds like nothing, but when you come out confused it is the only thing you can hold on to.",
];

const QUESTIONS: [(&str, &str); 5] = [
    ("en", "How did the first days go?"),
    ("nl", "Hoe verliepen de eerste dagen?"),
    ("fr", "Comment se sont passés les premiers jours?"),
    ("de", "Wie waren die ersten Tage?"),
    ("pt", "Como foram os primeiros dias?"),
];

fn country_of(lang: Language) -> &'static str {
    match lang {
        Language::English => "GB",
        Language::Dutch => "BE",
        Language::French => "FR",
        Language::German => "DE",
        Language::Portuguese => "PT",
    }
}

/// Respondent paragraphs of the shipped fixtures, by language (English from the list above).
fn material() -> BTreeMap<Language, Vec<String>> {
    let mut pools: BTreeMap<Language, Vec<String>> = BTreeMap::new();
    pools.insert(Language::English, ENGLISH.iter().map(|s| s.to_string()).collect());
    for (path, bytes) in embedded::FILES {
        if !path.contains("/sources/") || !path.ends_with(".txt") {
            continue;
        }
        if let Ok(source) = transcript::parse(Path::new(path), bytes, Language::English, None) {
            let pool = pools.entry(source.language).or_default();
            pool.extend(source.respondent_segments().map(|(s, _)| s.text.replace('\n', " ")));
        }
    }
    pools
}

/// Writes `n` transcripts under `out/transcripts/` and codings of coder `bench` for about a tenth
/// of their respondent segments (codes drawn from `codebook`'s leaves) to `out/bench.csv`.
pub fn generate(out: &Path, n: usize, seed: u64, codebook: &Codebook) -> Result<(usize, usize)> {
    let pools = material();
    let langs = [Language::English, Language::Dutch, Language::French, Language::German, Language::Portuguese];
    let leaves: Vec<_> = codebook.walk().into_iter().filter(|v| v.code.children.is_empty()).map(|v| v.path).collect();
    let mut rng = Rng::new(seed);
    let mut codings = Vec::new();
    let mut words = 0;
    for i in 0..n {
        let lang = *rng.pick(&langs);
        let pool = &pools[&lang];
        let question = QUESTIONS.iter().find(|(l, _)| *l == lang.as_str()).map(|(_, q)| *q).unwrap_or("?");
        let id = format!("BENCH-{i:05}");
        let focus_group = rng.below(5) == 0;
        let mut header = format!(
            "---\nsource: {id}\ncountry: {}\nlanguage: {lang}\nmethod: {}\nsetting: {}\nspeaker I: interviewer\n",
            country_of(lang),
            if focus_group { "focus-group" } else { "interview" },
            if rng.below(2) == 0 { "prison" } else { "community" }
        );
        let speakers: Vec<String> = if focus_group { (1..=4 + rng.below(3)).map(|k| format!("P{k}")).collect() } else { vec!["R".into()] };
        for label in &speakers {
            let role = *rng.pick(&["PR", "EPR", "PI", "PE"]);
            let role = if focus_group { "PR" } else { role };
            let gender = if matches!(role, "PR" | "EPR") { format!(" gender={}", rng.pick(&["M", "F"])) } else { String::new() };
            header.push_str(&format!("speaker {label}: role={role}{gender}\n"));
        }
        header.push_str("---\n");
        let target = 2000 + rng.below(1000);
        let mut body = String::new();
        let mut count = 0;
        while count < target {
            body.push_str(&format!("I: {question}\n"));
            let label = rng.pick(&speakers).clone();
            let paragraphs = 1 + rng.below(3);
            for p in 0..paragraphs {
                let text = rng.pick(pool);
                count += text.split_whitespace().count();
                if p == 0 {
                    body.push_str(&format!("{label}: {text}\n"));
                } else {
                    body.push_str(&format!("\n{text}\n"));
                }
            }
        }
        words += count;
        let file = format!("{header}{body}");
        let path = out.join("transcripts").join(format!("{id}.txt"));
        write_atomic(&path, file.as_bytes())?;
        let source: Source = transcript::parse(&path, file.as_bytes(), lang, None)?;
        for (segment, _) in source.respondent_segments() {
            if rng.below(10) == 0 {
                codings.push(Coding {
                    source: source.id.clone(),
                    start: segment.start,
                    end: segment.end,
                    code: rng.pick(&leaves).clone(),
                    coder: "bench".parse().expect("valid coder"),
                    created: "2026-01-01T00:00:00Z".into(),
                    text: segment.text.clone(),
                    origin: None,
                });
            }
        }
    }
    store::normalise(&mut codings);
    write_atomic(&out.join("bench.csv"), &store::to_csv(&codings))?;
    Ok((words, codings.len()))
}
