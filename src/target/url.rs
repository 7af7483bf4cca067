//! The URLs of the API below a base URL, and the origin of a URL (for the control URL's
//! default and the token scope). Pure string functions.

/// The path of the definitions collection below the base URL.
pub const DEFINITIONS_PATH: &str = "/identityGovernance/accessReviews/definitions";

/// The origin of a URL (scheme and authority, no path).
pub fn origin(url: &str) -> &str {
    // Slices at positions `find` returned for ASCII patterns: always char boundaries.
    match url.find("://") {
        Some(i) => match url[i + 3..].find('/') {
            Some(j) => &url[..i + 3 + j],
            None => url,
        },
        None => url,
    }
}

/// The default control URL for a base URL: its origin + `/_conformance`.
pub fn default_control_url(base_url: &str) -> String {
    format!("{}/_conformance", origin(base_url).trim_end_matches('/'))
}

/// Percent-encodes a form value (RFC 3986 unreserved characters kept): what a token request
/// sends, and one of the forms a secret can take in a report.
pub fn form_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Whether an id a target gave can name one path segment: not empty, not `.` or `..` (which
/// URL parsers resolve, escaped or not), no `/` or `\`, no control character, at most 256
/// characters. The problem, in words, otherwise.
pub fn check_id(id: &str) -> Result<(), String> {
    let problem = if id.is_empty() {
        "is empty"
    } else if id == "." || id == ".." {
        "is a dot segment"
    } else if id.contains(['/', '\\']) {
        "contains a slash or backslash"
    } else if id.chars().any(char::is_control) {
        "contains a control character"
    } else if id.chars().count() > 256 {
        "is longer than 256 characters"
    } else {
        return Ok(());
    };
    Err(format!(
        "the id {:?} {problem}: it cannot name one path segment",
        id.chars().take(80).collect::<String>()
    ))
}

/// The default base URL of the lifecycle around the update on a live tenant (create, wait,
/// stop, list, delete): the same URL with a final `/beta` replaced by `/v1.0`, where the
/// definitions API exists in every national cloud (the beta delete page is marked
/// Global-only); any other base URL as it is.
pub fn default_setup_base(base_url: &str) -> String {
    let base = base_url.trim_end_matches('/');
    match base
        .len()
        .checked_sub(5)
        .and_then(|i| base.get(i..).map(|tail| (i, tail)))
    {
        Some((i, tail)) if tail.eq_ignore_ascii_case("/beta") => format!("{}/v1.0", &base[..i]),
        _ => base.to_string(),
    }
}

/// The definitions collection below a base URL.
pub fn definitions_url(base_url: &str) -> String {
    format!("{}{DEFINITIONS_PATH}", base_url.trim_end_matches('/'))
}

/// An id as one path segment. Ids are GUIDs in practice; what would change the path's shape is
/// escaped (a backslash is a slash to URL parsers). Ids from a target are checked first
/// ([`check_id`]): a dot segment cannot be escaped.
pub(crate) fn segment(id: &str) -> std::borrow::Cow<'_, str> {
    const SHAPING: [char; 6] = ['%', '/', '\\', '?', '#', ' '];
    if !id.contains(SHAPING) {
        return std::borrow::Cow::Borrowed(id);
    }
    let mut out = String::with_capacity(id.len() + 8);
    for c in id.chars() {
        match c {
            '%' => out.push_str("%25"),
            '/' => out.push_str("%2F"),
            '\\' => out.push_str("%5C"),
            '?' => out.push_str("%3F"),
            '#' => out.push_str("%23"),
            ' ' => out.push_str("%20"),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A definition, or one of its instances, below a base URL: its length is known before it is
/// built, so it is allocated once.
pub(crate) fn object_url(base_url: &str, definition: &str, instance: Option<&str>) -> String {
    const INSTANCES: &str = "/instances/";
    let base = base_url.trim_end_matches('/');
    let (definition, instance) = (segment(definition), instance.map(segment));
    let mut url = String::with_capacity(
        base.len()
            + DEFINITIONS_PATH.len()
            + 1
            + definition.len()
            + instance.as_ref().map_or(0, |i| INSTANCES.len() + i.len()),
    );
    url.push_str(base);
    url.push_str(DEFINITIONS_PATH);
    url.push('/');
    url.push_str(&definition);
    if let Some(instance) = instance {
        url.push_str(INSTANCES);
        url.push_str(&instance);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::beta("https://graph.microsoft.com/beta", "https://graph.microsoft.com/v1.0")]
    #[case::slash("https://graph.microsoft.us/beta/", "https://graph.microsoft.us/v1.0")]
    #[case::letter_case("http://127.0.0.1:9/Beta", "http://127.0.0.1:9/v1.0")]
    #[case::v1("https://graph.microsoft.com/v1.0", "https://graph.microsoft.com/v1.0")]
    #[case::other("http://127.0.0.1:9/api", "http://127.0.0.1:9/api")]
    #[case::short("beta", "beta")]
    #[case::not_a_segment("http://h/alphabeta", "http://h/alphabeta")]
    fn the_lifecycle_goes_through_v1_by_default(#[case] base: &str, #[case] setup: &str) {
        assert_eq!(default_setup_base(base), setup);
    }

    #[rstest]
    #[case::guid("0b3c7a4e-1111-4222-8333-944445555666", true)]
    #[case::percent("%2e%2e", true)]
    #[case::odd_but_one_segment("a b?c#d%", true)]
    #[case::empty("", false)]
    #[case::dot(".", false)]
    #[case::dots("..", false)]
    #[case::slash("../definitions/victim", false)]
    #[case::backslash("..\\..\\definitions\\VICTIM", false)]
    #[case::control("a\u{0}b", false)]
    #[case::long(&"x".repeat(257), false)]
    fn an_id_from_a_target_must_name_one_segment(#[case] id: &str, #[case] ok: bool) {
        assert_eq!(check_id(id).is_ok(), ok, "{:?}", check_id(id));
    }

    #[rstest]
    #[case::guid(
        "0b3c7a4e-1111-4222-8333-944445555666",
        "0b3c7a4e-1111-4222-8333-944445555666"
    )]
    #[case::every_shaping_character("a%b/c\\d?e#f g", "a%25b%2Fc%5Cd%3Fe%23f%20g")]
    #[case::an_escape_is_escaped_again("%2F", "%252F")]
    #[case::other_characters_kept("é-ü", "é-ü")]
    fn an_id_is_one_segment_in_a_url(#[case] id: &str, #[case] want: &str) {
        assert_eq!(segment(id), want);
    }

    #[rstest]
    #[case::definition(
        "http://h/beta",
        "d",
        None,
        "http://h/beta/identityGovernance/accessReviews/definitions/d"
    )]
    #[case::instance(
        "http://h/beta/",
        "d",
        Some("i"),
        "http://h/beta/identityGovernance/accessReviews/definitions/d/instances/i"
    )]
    #[case::escaped(
        "http://h/beta",
        "d/x",
        Some("i?y"),
        "http://h/beta/identityGovernance/accessReviews/definitions/d%2Fx/instances/i%3Fy"
    )]
    fn object_urls_name_their_ids_as_segments(
        #[case] base: &str,
        #[case] definition: &str,
        #[case] instance: Option<&str>,
        #[case] want: &str,
    ) {
        let url = object_url(base, definition, instance);
        assert_eq!(url, want);
        // Allocated once: the capacity asked for was the length.
        assert_eq!(url.capacity(), url.len());
    }
}
