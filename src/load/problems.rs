//! The diagnostics of one case file, and the one did-you-mean text every loader message uses.

use crate::diagnostic::{Diagnostic, SourceFile, did_you_mean};

/// Collects diagnostics for one file, placed by JSON pointer.
pub struct Problems<'a> {
    file: &'a SourceFile,
    list: Vec<Diagnostic>,
    /// The names the case may use are not all known (its named state is unknown): a missing
    /// name would only follow from that problem, so it is not reported again.
    pub names_unknown: bool,
}

impl<'a> Problems<'a> {
    /// No problem yet.
    pub fn new(file: &'a SourceFile) -> Problems<'a> {
        Problems {
            file,
            list: Vec::new(),
            names_unknown: false,
        }
    }

    /// A problem with the value at `pointer` (or its nearest ancestor in the file).
    pub fn at(&mut self, pointer: &str, message: impl Into<String>, help: Option<String>) {
        let mut d = self.file.diagnostic(self.file.span_near(pointer), message);
        d.help = help;
        self.list.push(d);
    }

    /// A problem with the key at `pointer`.
    pub fn at_key(&mut self, pointer: &str, message: impl Into<String>, help: Option<String>) {
        let mut d = self.file.diagnostic(self.file.key_span(pointer), message);
        d.help = help;
        self.list.push(d);
    }

    /// True when nothing was found.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Every problem found.
    pub fn into_list(self) -> Vec<Diagnostic> {
        self.list
    }
}

/// Lists longer than this are not spelled out in a help text.
const LIST_LIMIT: usize = 12;

/// "did you mean `x`? (WHAT: a, b, c)" — or without the guess when none is close; long lists
/// point at the file that holds them (`listed_in`) instead of being spelled out.
pub fn suggestion<'a>(
    word: &str,
    candidates: impl Iterator<Item = &'a str> + Clone,
    what: &str,
    listed_in: Option<&str>,
) -> String {
    let mut all: Vec<&str> = candidates.clone().collect();
    all.sort_unstable();
    let listing = match listed_in {
        Some(file) if all.len() > LIST_LIMIT => format!("{what} are listed in {file}"),
        _ => format!("{what}: {}", all.join(", ")),
    };
    match did_you_mean(word, candidates) {
        Some(s) => format!("did you mean `{s}`? ({listing})"),
        None => listing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("alicee", &["alice", "bob"], None, "did you mean `alice`? (principals: alice, bob)")]
    #[case("zed", &["alice", "bob"], None, "principals: alice, bob")]
    #[case("a0", &["a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "b1", "b2", "b3", "b4"], Some("f.yaml"), "principals are listed in f.yaml")]
    fn suggestions(
        #[case] word: &str,
        #[case] candidates: &[&str],
        #[case] listed_in: Option<&str>,
        #[case] expected: &str,
    ) {
        assert_eq!(
            suggestion(word, candidates.iter().copied(), "principals", listed_in),
            expected
        );
    }
}
