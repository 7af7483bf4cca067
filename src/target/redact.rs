//! Every secret of a run taken out of text and data before anything is written or printed:
//! each secret in the forms it can take in a report (as sent, JSON-escaped, XML-escaped,
//! percent-encoded), overlapping secrets as one span, and a secret too short to search for in
//! free text (`--token T`) wherever it stands as a whole token. The marker, `(redacted)`, is
//! free of markup characters, so it reads the same in JSON, XML, Markdown and a terminal.

use aho_corasick::AhoCorasick;

use crate::target::secret::Secret;

/// What a secret is replaced with.
pub const MARKER: &str = "(redacted)";

/// Secrets at least this long are taken out wherever they appear; shorter ones only where they
/// stand as a whole token (not inside a longer word).
pub const SEARCH_MIN_LEN: usize = 8;

/// The characters a token is made of: a short secret next to one of them is part of another
/// word, not the secret.
fn token_char(c: char) -> bool {
    c.is_alphanumeric() || "-_~+".contains(c)
}

/// The escaped forms of a text: JSON (with and without `\/`), XML, percent-encoded.
fn escaped(text: &str) -> Vec<String> {
    let json = serde_json::to_string(text).unwrap_or_default();
    let json = json
        .get(1..json.len().saturating_sub(1))
        .unwrap_or_default()
        .to_string();
    let xml = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;");
    let percent = crate::target::url::form_encode(text);
    vec![
        json.replace('/', "\\/"),
        json,
        xml.replace("&apos;", "&#39;"),
        xml,
        percent.replace("%20", "+"),
        percent,
    ]
}

/// The forms a secret can take in a report or a message: as sent, escaped once, and escaped
/// twice (a JSON body shown inside a JSON string, say).
fn forms(secret: &str) -> Vec<String> {
    let mut all = vec![secret.to_string()];
    for once in escaped(secret) {
        all.extend(escaped(&once));
        all.push(once);
    }
    all.sort();
    all.dedup();
    all.retain(|f| !f.is_empty());
    all
}

/// Takes a run's secrets out of text and data.
#[derive(Default)]
pub struct Redactor {
    automaton: Option<AhoCorasick>,
    /// For each pattern: whether it must stand as a whole token.
    whole: Vec<bool>,
}

/// No secret shows: `Debug` names how many patterns there are.
impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} patterns)", self.whole.len())
    }
}

impl Redactor {
    /// A redactor for these secrets (empty ones are ignored).
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Redactor {
        let mut patterns = Vec::new();
        let mut whole = Vec::new();
        for s in secrets {
            let short = s.expose().chars().count() < SEARCH_MIN_LEN;
            for f in forms(s.expose()) {
                if !patterns.contains(&f) {
                    patterns.push(f);
                    whole.push(short);
                }
            }
        }
        let automaton = (!patterns.is_empty())
            .then(|| AhoCorasick::new(&patterns).ok())
            .flatten();
        Redactor { automaton, whole }
    }

    /// `text` with every secret replaced by [`MARKER`].
    pub fn text(&self, text: &str) -> String {
        let Some(automaton) = &self.automaton else {
            return text.to_string();
        };
        let mut spans: Vec<(usize, usize)> = automaton
            .find_overlapping_iter(text)
            .filter(|m| {
                !self.whole[m.pattern().as_usize()]
                    || (!text[..m.start()]
                        .chars()
                        .next_back()
                        .is_some_and(token_char)
                        && !text[m.end()..].chars().next().is_some_and(token_char))
            })
            .map(|m| (m.start(), m.end()))
            .collect();
        if spans.is_empty() {
            return text.to_string();
        }
        spans.sort_unstable();
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        let mut current: Option<(usize, usize)> = None;
        for (start, end) in spans {
            match &mut current {
                Some((_, e)) if start <= *e => *e = (*e).max(end),
                _ => {
                    if let Some((s, e)) = current.take() {
                        out.push_str(&text[at..s]);
                        out.push_str(MARKER);
                        at = e;
                    }
                    current = Some((start, end));
                }
            }
        }
        if let Some((s, e)) = current {
            out.push_str(&text[at..s]);
            out.push_str(MARKER);
            at = e;
        }
        out.push_str(&text[at..]);
        out
    }
}

/// The password of a URL's user-info, when it has one (`https://user:pw@host/…`).
pub fn url_password(url: &str) -> Option<Secret> {
    let parsed = reqwest::Url::parse(url).ok()?;
    let password = parsed.password()?;
    let decoded = percent_decode(password);
    Some(Secret::new(decoded))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = (b == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(v) => {
                out.push(v);
                i += 3;
            }
            None => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn redactor(secrets: &[&str]) -> Redactor {
        let secrets: Vec<Secret> = secrets.iter().map(|s| Secret::new(*s)).collect();
        Redactor::new(&secrets)
    }

    #[rstest]
    #[case::plain(&["tok-123456789"], "Bearer tok-123456789!", "Bearer (redacted)!")]
    #[case::twice(&["tok-123456789"], "tok-123456789tok-123456789", "(redacted)")]
    #[case::json_escaped(&["a\"b/c\\d-long"], r#"{"t":"a\"b\/c\\d-long"}"#, r#"{"t":"(redacted)"}"#)]
    #[case::json_slash_kept(&["ab/cdefghij"], r#""ab/cdefghij""#, r#""(redacted)""#)]
    #[case::json_twice(&["tok/h&stile-5"], r#""a tok\\/h&stile-5 b""#, r#""a (redacted) b""#)]
    #[case::xml_escaped(&["a&b<c>d'e\"f"], "x a&amp;b&lt;c&gt;d&apos;e&quot;f y", "x (redacted) y")]
    #[case::percent(&["s3cr&t=+ value"], "client_secret=s3cr%26t%3D%2B+value&x", "client_secret=(redacted)&x")]
    #[case::overlapping(&["abcdefgh12", "gh12345678"], "..abcdefgh12345678..", "..(redacted)..")]
    #[case::nested(&["abcdefghijkl", "defghijk"], "abcdefghijkl defghijk", "(redacted) (redacted)")]
    #[case::short_whole(&["T"], "Bearer T; token=T.", "Bearer (redacted); token=(redacted).")]
    #[case::short_inside_words(&["T"], "HTTP/1.1 Timeout", "HTTP/1.1 Timeout")]
    #[case::short_in_url(&["pw"], "https://u:pw@h/", "https://u:(redacted)@h/")]
    #[case::nothing(&[], "Bearer x", "Bearer x")]
    #[case::empty_secret(&[""], "abc", "abc")]
    #[case::unicode(&["ключ-секрет"], "«ключ-секрет»", "«(redacted)»")]
    fn every_form_of_every_secret_is_taken_out(
        #[case] secrets: &[&str],
        #[case] text: &str,
        #[case] expected: &str,
    ) {
        assert_eq!(redactor(secrets).text(text), expected);
    }

    #[test]
    fn no_secret_shows_in_debug() {
        let r = redactor(&["tok-<&>-123456"]);
        assert!(!format!("{r:?}").contains("tok"));
    }

    #[test]
    fn a_url_password_is_a_secret() {
        assert_eq!(
            url_password("https://user:p%40ss@h/beta").map(|s| s.expose().to_string()),
            Some("p@ss".into())
        );
        assert!(url_password("https://h/beta").is_none());
        assert!(url_password("not a url").is_none());
    }
}
