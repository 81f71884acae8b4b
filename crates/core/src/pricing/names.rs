//! Model names: the loose forms users type, folded to one lookup key, and close matches.

/// Reduces a model name to the key it is looked up by: lower case, separators folded to `-`,
/// anything before `claude-` (Bedrock's `us.anthropic.`) dropped, then the `claude-` prefix and
/// any `-latest`, `-vN:M` (Bedrock) or `-YYYYMMDD` (dated snapshot, Vertex's `@date`) suffix;
/// a `-0` minor version is dropped (`opus-4-0` is `opus-4`), and old names put the family
/// first (`3-7-sonnet` is `sonnet-3-7`).
///
/// ```
/// use visionprep_core::normalize_model_name as n;
/// assert_eq!(n("claude-sonnet-4-5-20250929"), n("Sonnet 4.5"));
/// assert_eq!(n("us.anthropic.claude-3-7-sonnet-20250219-v1:0"), n("sonnet-3.7"));
/// assert_eq!(n("claude-opus-4-20250514"), n("claude-opus-4-0"));
/// ```
pub fn normalize_model_name(name: &str) -> String {
    let mut s: String = name
        .trim()
        .chars()
        .map(|c| match c {
            ' ' | '_' | '.' | '/' | '@' | ':' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    if let Some(pos) = s.find("claude-") {
        s.drain(..pos + "claude-".len());
    }
    let mut parts: Vec<&str> = s.split('-').filter(|p| !p.is_empty()).collect();
    if parts.last() == Some(&"latest") {
        parts.pop();
    }
    // Bedrock: -v1:0 (now -v1-0) or -v2
    if parts.len() >= 2 && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit()) {
        let prev = parts[parts.len() - 2];
        if is_version_tag(prev) {
            parts.truncate(parts.len() - 2);
        }
    }
    if parts.last().is_some_and(|p| is_version_tag(p)) {
        parts.pop();
    }
    if parts
        .last()
        .is_some_and(|p| p.len() == 8 && p.bytes().all(|b| b.is_ascii_digit()))
    {
        parts.pop();
    }
    if parts.len() >= 3
        && parts.last() == Some(&"0")
        && parts[parts.len() - 2].bytes().all(|b| b.is_ascii_digit())
    {
        parts.pop();
    }
    if parts
        .first()
        .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_alphabetic()))
    {
        let family = parts.pop();
        parts.extend(family);
        parts.rotate_right(1);
    }
    parts.join("-")
}

fn is_version_tag(p: &str) -> bool {
    p.len() >= 2 && p.starts_with('v') && p[1..].bytes().all(|b| b.is_ascii_digit())
}

pub(super) fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// A normalised name's family and version numbers, for ordering models of one family:
/// `sonnet-4-6` is `("sonnet", [4, 6])`, `sonnet-5` is `("sonnet", [5])`, `sonnet-3-7` (from
/// `claude-3-7-sonnet`) `("sonnet", [3, 7])`. Parts that are not numbers end the version.
pub(super) fn version_key(key: &str) -> (&str, Vec<u32>) {
    let mut parts = key.split('-');
    let family = parts.next().unwrap_or_default();
    let version = parts.map_while(|p| p.parse::<u32>().ok()).collect();
    (family, version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_names() {
        let n = normalize_model_name;
        assert_eq!(n("claude-sonnet-4-5"), "sonnet-4-5");
        assert_eq!(n("claude-sonnet-4-5-latest"), "sonnet-4-5");
        assert_eq!(n("sonnet-4.5"), "sonnet-4-5");
        assert_eq!(n("Claude Sonnet 4.5"), "sonnet-4-5");
        assert_eq!(n("claude-sonnet-4-5@20250929"), "sonnet-4-5");
        assert_eq!(
            n("global.anthropic.claude-sonnet-4-5-20250929-v1:0"),
            "sonnet-4-5"
        );
        assert_eq!(n("anthropic.claude-opus-4-6-v1"), "opus-4-6");
        assert_eq!(n("claude-3-haiku-20240307"), "haiku-3");
        assert_eq!(n("claude-3-5-haiku-latest"), "haiku-3-5");
        assert_eq!(n("haiku-3.5"), "haiku-3-5");
        assert_eq!(n("claude-opus-4-0"), "opus-4");
        assert_eq!(n("claude-opus-4"), "opus-4");
        assert_eq!(n("claude-opus-5"), "opus-5");
        assert_eq!(n("claude-mythos-preview"), "mythos-preview");
        assert_eq!(n(""), "");
        assert_eq!(n("---"), "");
    }

    #[test]
    fn levenshtein_distance() {
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(levenshtein("same", "same"), 0);
    }

    #[test]
    fn versions_order_within_a_family() {
        assert_eq!(version_key("sonnet-4-6"), ("sonnet", vec![4, 6]));
        assert_eq!(version_key("mythos-preview"), ("mythos", vec![]));
        assert!(version_key("sonnet-5").1 > version_key("sonnet-4-6").1);
        assert!(version_key("sonnet-4-6").1 > version_key("sonnet-4-5").1);
        assert!(version_key("sonnet-4").1 < version_key("sonnet-4-5").1);
    }
}
