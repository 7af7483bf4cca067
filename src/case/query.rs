//! Graph query strings: the service echoes `/users/{id}` back as `/v1.0/users/{id}`, so two
//! queries are the same when they differ only by a leading API version segment or case.

/// The API version segments Graph puts in front of a query it echoes back.
const VERSION_SEGMENTS: [&str; 2] = ["/v1.0", "/beta"];

/// Returns the query without a leading `/v1.0` or `/beta` segment and without a trailing
/// slash, lower-cased (Graph paths and object ids compare case-insensitively).
///
/// Relative queries such as `./manager` are returned lower-cased and otherwise unchanged.
pub fn normalize_query(query: &str) -> String {
    let trimmed = query.trim();
    let rest = without_version(trimmed).unwrap_or(trimmed);
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    rest.to_lowercase()
}

/// The query without its leading version segment, if it has one. (`get` and `split_at`
/// checked: a query is any text a target sends, and may start with non-ASCII characters.)
fn without_version(query: &str) -> Option<&str> {
    VERSION_SEGMENTS.iter().find_map(|segment| {
        let head = query.get(..segment.len())?;
        let rest = query.get(segment.len()..)?;
        (head.eq_ignore_ascii_case(segment) && rest.starts_with('/')).then_some(rest)
    })
}

/// True when two Graph query strings address the same thing (see [`normalize_query`]).
pub fn queries_equivalent(a: &str, b: &str) -> bool {
    normalize_query(a) == normalize_query(b)
}

/// The form Graph echoes back for a query it stores: absolute paths get `/v1.0` in front
/// unless they already carry a version segment; relative queries stay as they are.
pub fn echo_form(query: &str) -> String {
    if query.starts_with('/') && without_version(query).is_none() {
        format!("/v1.0{query}")
    } else {
        query.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("/users/abc", "/v1.0/users/abc", true)]
    #[case("/users/abc", "/beta/users/abc", true)]
    #[case("/users/ABC", "/v1.0/users/abc", true)]
    #[case("/users/abc/", "/users/abc", true)]
    #[case("/users/abc", "/users/abd", false)]
    #[case("/users/abc", "/groups/abc", false)]
    #[case("./manager", "./manager", true)]
    #[case("/v1.0x/users", "/users", false)]
    #[case("/v1.0", "/v1.0", true)]
    #[case("日本語", "/v1.0/日本語", false)]
    #[case("/v1日本", "/v1日本", true)]
    #[case("/BETä/users", "/betä/users", true)]
    #[case("é", "É", true)]
    fn equivalence(#[case] a: &str, #[case] b: &str, #[case] same: bool) {
        assert_eq!(queries_equivalent(a, b), same, "{a} vs {b}");
    }

    #[rstest]
    #[case("/users/x", "/v1.0/users/x")]
    #[case("/v1.0/users/x", "/v1.0/users/x")]
    #[case("/beta/roleManagement/x", "/beta/roleManagement/x")]
    #[case("./manager", "./manager")]
    #[case("/日本語", "/v1.0/日本語")]
    #[case("日本語", "日本語")]
    fn echo(#[case] input: &str, #[case] echoed: &str) {
        assert_eq!(echo_form(input), echoed);
    }
}
