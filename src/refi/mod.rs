//! REFI-QDA interchange: `.qdpx` projects and `.qdc` codebooks (QDA-XML 1.0), read and written.
//!
//! A format adapter beside quire's operations: `import`, `merge` and the commands use it; it uses
//! none of them. [`model`] mirrors the parts of QDA-XML quire uses: users, the code tree,
//! variables, cases, text sources with their selections and codings. [`qde`] reads and writes the
//! project XML, [`codebook`] the codebook XML, [`archive`] the zip container; [`import`] turns a
//! project into quire's sources, codebook and codings, and [`export`] does the reverse.
//!
//! Positions. QDA-XML says `startPosition`/`endPosition` count Unicode code points from 0. Not
//! every program does: NVivo counts UTF-16 code units (an emoji is 2), with a leading BOM not
//! counted and CRLF as 2; ATLAS.ti counts CRLF as 1. [`positions::Units`] names the conventions,
//! [`positions::TextMap`] maps positions in each onto quire's canonical text (no BOM, LF line
//! ends), and [`landing`] tries other units when many selections miss. quire writes code points
//! of that canonical text, or what [`shape`] asks for (UTF-16 units for NVivo).

pub mod archive;
pub mod cases;
pub mod codebook;
pub mod export;
pub mod import;
pub mod landing;
pub mod model;
pub mod positions;
pub mod qde;
pub mod shape;
pub mod xml;

use std::fmt;

/// The REFI project namespace quire writes (readers accept the variants programs write).
pub const PROJECT_NS: &str = "urn:QDA-XML:project:1.0";
pub const CODEBOOK_NS: &str = "urn:QDA-XML:codebook:1.0";

/// `origin` attribute quire writes.
pub fn origin() -> String {
    format!("quire {}", env!("CARGO_PKG_VERSION"))
}

/// A guid as a comparison key: no braces, lower case.
pub fn guid_key(guid: &str) -> String {
    guid.trim().trim_start_matches('{').trim_end_matches('}').to_ascii_lowercase()
}

/// A stable guid for `kind` and `key` (a UUID v5 in quire's namespace), so exports are reproducible.
pub fn stable_guid(kind: &str, key: &str) -> String {
    StableGuid::new(kind).part(key).finish()
}

/// Characters in a hyphenated guid.
pub const GUID_LEN: usize = uuid::fmt::Hyphenated::LENGTH;

/// A stable guid whose key is written in parts (the UUID v5 of `kind:` and the parts joined),
/// without building the key first. SHA-1 as UUID v5 defines it, from the `sha1` crate, which
/// uses the processor's SHA instructions where it has them: an export hashes one key per coding.
/// A clone carries on from the parts written so far (keys that share a beginning hash it once).
#[derive(Clone)]
pub struct StableGuid(sha1::Sha1);

impl StableGuid {
    pub fn new(kind: &str) -> StableGuid {
        use sha1::Digest;
        static NAMESPACE: std::sync::LazyLock<uuid::Uuid> =
            std::sync::LazyLock::new(|| uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, b"urn:quire:refi-qda"));
        let mut hash = sha1::Sha1::new();
        hash.update(NAMESPACE.as_bytes());
        hash.update(kind.as_bytes());
        hash.update(b":");
        StableGuid(hash)
    }

    pub fn part(mut self, part: &str) -> StableGuid {
        let _ = fmt::Write::write_str(&mut self, part);
        self
    }

    pub fn finish(self) -> String {
        self.finish_in(&mut [0; GUID_LEN]).to_string()
    }

    /// The guid, written into `buffer` (no allocation).
    pub fn finish_in(self, buffer: &mut [u8; GUID_LEN]) -> &str {
        let digest = sha1::Digest::finalize(self.0);
        let bytes: [u8; 16] = digest[..16].try_into().expect("SHA-1 has 20 bytes");
        uuid::Builder::from_sha1_bytes(bytes).into_uuid().hyphenated().encode_lower(buffer)
    }
}

/// Text written to a guid is hashed as it comes (`write!` of a `Display` value, no copy).
impl fmt::Write for StableGuid {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        sha1::Digest::update(&mut self.0, s.as_bytes());
        Ok(())
    }
}

/// Is `s` an `xsd:dateTime` (`2024-01-02T03:04:05`, optional fraction and zone)?
pub fn is_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r.clone()).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if b.len() < 19
        || !(digits(0..4)
            && b[4] == b'-'
            && digits(5..7)
            && b[7] == b'-'
            && digits(8..10)
            && b[10] == b'T'
            && digits(11..13)
            && b[13] == b':'
            && digits(14..16)
            && b[16] == b':'
            && digits(17..19))
    {
        return false;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    match rest {
        "" | "Z" => true,
        zone => {
            let z = zone.as_bytes();
            z.len() == 6
                && matches!(z[0], b'+' | b'-')
                && z[1..3].iter().all(u8::is_ascii_digit)
                && z[3] == b':'
                && z[4..6].iter().all(u8::is_ascii_digit)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_are_stable() {
        assert_eq!(stable_guid("code", "a/b"), stable_guid("code", "a/b"));
        // The same UUID v5 as the uuid crate makes, so guids exported before stay the same.
        let namespace = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, b"urn:quire:refi-qda");
        for (kind, key) in [("code", "a/b"), ("coding", "BE-PR-01@3..40:challenges/housing:anna"), ("user", "")] {
            assert_eq!(stable_guid(kind, key), uuid::Uuid::new_v5(&namespace, format!("{kind}:{key}").as_bytes()).to_string());
        }
        assert_eq!(StableGuid::new("coding").part("s@1..2").part(":").part("a/b").finish(), stable_guid("coding", "s@1..2:a/b"));
        // A clone goes on from the parts hashed so far; a guid written into a buffer is the same.
        let keyed = StableGuid::new("coding").part("s@1..2:");
        let mut buffer = [0; GUID_LEN];
        assert_eq!(keyed.clone().part("a/b/c").finish_in(&mut buffer), stable_guid("coding", "s@1..2:a/b/c"));
        assert_eq!(keyed.part("x").finish(), stable_guid("coding", "s@1..2:x"));
        assert_ne!(stable_guid("code", "a/b"), stable_guid("code", "a/c"));
        assert!(is_datetime("2026-11-23T12:39:36Z") && is_datetime("2024-01-02T03:04:05.123+02:00"));
        assert!(!is_datetime("2026-11-23") && !is_datetime(""));
    }
}
