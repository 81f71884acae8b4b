//! Custom ids for Message Batches requests: a template, filled the same on every run, that
//! always gives an id the API takes (`^[a-zA-Z0-9_-]{1,64}$`).

use super::BatchError;
use std::path::Path;

/// How custom ids are made from a request's paths: a template of literal characters
/// (`a-z A-Z 0-9 _ -`) and the placeholders `{stem}` (the first image's file name without
/// its extension), `{parent}` (the name of its folder), `{hash}` (16 hex digits of a hash of
/// every path of the request, in order) and `{n}` (the request's number in this run: not
/// stable when files are added). Characters the API refuses become `_`; `{stem}` and
/// `{parent}` are shortened so that the id fits in 64 characters. Default `{stem}-{hash}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomIds {
    template: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Stem,
    Parent,
    Hash,
    Number,
}

/// The longest custom id the API takes.
pub(crate) const MAX_ID: usize = 64;

impl CustomIds {
    /// The template's ids; an error names what makes it unusable.
    pub fn new(template: &str) -> Result<CustomIds, BatchError> {
        let fail = |reason: &str| BatchError::Template {
            template: template.to_owned(),
            reason: reason.to_owned(),
        };
        let mut parts = Vec::new();
        let mut rest = template;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('{') {
                let end = after.find('}').ok_or_else(|| fail("a { without its }"))?;
                parts.push(match &after[..end] {
                    "stem" => Part::Stem,
                    "parent" => Part::Parent,
                    "hash" => Part::Hash,
                    "n" => Part::Number,
                    other => {
                        return Err(fail(&format!(
                            "unknown placeholder {{{other}}} (use {{stem}}, {{parent}}, {{hash}} or {{n}})"
                        )));
                    }
                });
                rest = &after[end + 1..];
            } else {
                let end = rest.find('{').unwrap_or(rest.len());
                let literal = &rest[..end];
                if !literal.bytes().all(id_byte) {
                    return Err(fail(
                        "custom ids take only letters, digits, _ and - besides placeholders",
                    ));
                }
                parts.push(Part::Literal(literal.to_owned()));
                rest = &rest[end..];
            }
        }
        let fixed: usize = parts
            .iter()
            .map(|p| match p {
                Part::Literal(s) => s.len(),
                Part::Hash => 16,
                Part::Number => 8,
                Part::Stem | Part::Parent => 1,
            })
            .sum();
        if fixed > MAX_ID - 3 {
            return Err(fail("too long for the API's 64 characters"));
        }
        if !parts
            .iter()
            .any(|p| matches!(p, Part::Stem | Part::Hash | Part::Number | Part::Parent))
        {
            return Err(fail("every request would get the same id: use {hash}"));
        }
        Ok(CustomIds {
            template: template.to_owned(),
            parts,
        })
    }

    /// The template as given.
    pub fn template(&self) -> &str {
        &self.template
    }

    /// The id of the request holding the images at `paths` (as walked or given), the
    /// `number`th request of the run (1-based).
    pub fn id(&self, paths: &[&str], number: u64) -> Result<String, BatchError> {
        let first = paths.first().map(|p| Path::new(*p));
        let stem = first
            .and_then(|p| p.file_stem())
            .map(|s| clean(&s.to_string_lossy()))
            .unwrap_or_default();
        let parent = first
            .and_then(|p| p.parent())
            .and_then(|p| p.file_name())
            .map(|s| clean(&s.to_string_lossy()))
            .unwrap_or_default();
        let hash = format!("{:016x}", paths_hash(paths));
        let number = format!("{number:08}");
        let fixed: usize = self
            .parts
            .iter()
            .map(|p| match p {
                Part::Literal(s) => s.len(),
                Part::Hash => hash.len(),
                Part::Number => number.len(),
                Part::Stem | Part::Parent => 0,
            })
            .sum();
        let names = self
            .parts
            .iter()
            .filter(|p| matches!(p, Part::Stem | Part::Parent))
            .count();
        // The room left, shared by the name placeholders; a trailing `-N` (a request split
        // over several bodies) takes up to 3 more.
        let room = MAX_ID.saturating_sub(fixed + 3) / names.max(1);
        let mut id = String::new();
        for p in &self.parts {
            match p {
                Part::Literal(s) => id.push_str(s),
                Part::Hash => id.push_str(&hash),
                Part::Number => id.push_str(&number),
                Part::Stem => id.push_str(&stem[..stem.len().min(room)]),
                Part::Parent => id.push_str(&parent[..parent.len().min(room)]),
            }
        }
        if id.is_empty() {
            id.push('_');
        }
        if !valid_id(&id) {
            return Err(BatchError::Template {
                template: self.template.clone(),
                reason: format!("gives the invalid id {id:?}"),
            });
        }
        Ok(id)
    }
}

impl Default for CustomIds {
    fn default() -> Self {
        CustomIds {
            template: "{stem}-{hash}".to_owned(),
            parts: vec![Part::Stem, Part::Literal("-".to_owned()), Part::Hash],
        }
    }
}

fn id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Whether the API takes `id` as a custom id: `^[a-zA-Z0-9_-]{1,64}$`.
pub fn valid_id(id: &str) -> bool {
    (1..=MAX_ID).contains(&id.len()) && id.bytes().all(id_byte)
}

/// A name with every character the API refuses as `_` (ASCII only, so byte slicing is safe).
fn clean(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii() && id_byte(c as u8) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// FNV-1a 64 over the paths, each followed by a newline: fixed, so ids never change between
/// runs, versions or machines.
pub(crate) fn paths_hash(paths: &[&str]) -> u64 {
    crate::request::fnv1a(
        paths
            .iter()
            .flat_map(|p| p.bytes().chain(std::iter::once(b'\n'))),
    )
}
