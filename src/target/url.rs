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

/// The definitions collection below a base URL.
pub fn definitions_url(base_url: &str) -> String {
    format!("{}{DEFINITIONS_PATH}", base_url.trim_end_matches('/'))
}
