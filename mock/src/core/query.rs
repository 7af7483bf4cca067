//! Reviewer queries as Graph stores them: the service echoes `/users/{id}` back as
//! `/v1.0/users/{id}`, and two queries name the same reviewer when they differ only by that
//! version segment, a trailing slash, or letter case. (The suite has its own comparison; the
//! mock keeps its own on purpose, so that one bug cannot hide on both sides.)

/// The API version segments Graph puts in front of a query it echoes back.
const VERSION_SEGMENTS: [&str; 2] = ["/v1.0", "/beta"];

/// The query without its leading version segment, if it has one.
fn without_version(query: &str) -> Option<&str> {
    VERSION_SEGMENTS.iter().find_map(|segment| {
        let head = query.get(..segment.len())?;
        let rest = query.get(segment.len()..)?;
        (head.eq_ignore_ascii_case(segment) && rest.starts_with('/')).then_some(rest)
    })
}

/// The form Graph echoes back for a query it stores: absolute paths get `/v1.0` in front
/// unless they already carry a version segment; relative queries stay as they are.
pub(crate) fn echo_form(query: &str) -> String {
    if query.starts_with('/') && without_version(query).is_none() {
        format!("/v1.0{query}")
    } else {
        query.to_string()
    }
}

/// What identifies a query: no version segment, no trailing slash, lower case.
pub(crate) fn identity(query: &str) -> String {
    let trimmed = query.trim();
    let rest = without_version(trimmed).unwrap_or(trimmed);
    rest.strip_suffix('/').unwrap_or(rest).to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("/users/x", "/v1.0/users/x")]
    #[case("/v1.0/users/x", "/v1.0/users/x")]
    #[case("/BETA/roleManagement/x", "/BETA/roleManagement/x")]
    #[case("./manager", "./manager")]
    #[case("/日本語", "/v1.0/日本語")]
    fn echo(#[case] input: &str, #[case] echoed: &str) {
        assert_eq!(echo_form(input), echoed);
    }

    #[rstest]
    #[case("/users/abc", "/v1.0/users/ABC/", true)]
    #[case("/users/abc", "/beta/users/abc", true)]
    #[case("/users/abc", "/users/abd", false)]
    #[case("/v1.0x/users", "/users", false)]
    #[case("日本語", "日本語", true)]
    #[case("/v1日本", "/v1日本", true)]
    fn identities(#[case] a: &str, #[case] b: &str, #[case] same: bool) {
        assert_eq!(identity(a) == identity(b), same, "{a} vs {b}");
    }
}
