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
}
