//! The README's example of the mock library, compiled and run: the snippet below is the
//! README's ```rust block under "The reference mock", verbatim, and a test checks that it
//! still is, so the two cannot drift apart.

/// The first ```rust block of a Markdown text.
fn rust_block(markdown: &'static str) -> &'static str {
    let start = markdown.find("```rust\n").expect("a ```rust block") + "```rust\n".len();
    let len = markdown[start..].find("```\n").expect("the block's end");
    &markdown[start..start + len]
}

/// The README's ```rust block (the only one in the README).
fn readme_snippet() -> &'static str {
    rust_block(include_str!("../../README.md"))
}

#[test]
fn the_crates_own_readme_shows_the_same_snippet() {
    assert_eq!(
        rust_block(include_str!("../README.md")),
        readme_snippet(),
        "mock/README.md"
    );
}

#[test]
fn the_readme_snippet_is_the_one_this_file_runs() {
    let snippet = readme_snippet();
    assert!(snippet.contains("MockServer::builder()"), "{snippet}");
    assert!(snippet.lines().count() >= 5, "{snippet}");
    assert!(
        include_str!("readme.rs").contains(snippet),
        "README.md's snippet is not in mock/tests/readme.rs verbatim:\n{snippet}"
    );
}

// The snippet is not indented, so that it is the README's text byte for byte.
#[rustfmt::skip]
#[tokio::test]
async fn the_readme_example_runs() -> Result<(), Box<dyn std::error::Error>> {
    // The suite builds reqwest without a TLS provider; a user's reqwest comes with one.
    let _ = rustls::crypto::ring::default_provider().install_default();
// 127.0.0.1, a free port; only this token is accepted; stopped on drop.
let mock = accessreview_mock::MockServer::builder().token("my-token").start().await?;
let seeded = mock.seed(&serde_json::json!({"instances": [{"status": "InProgress"}]}))?;
let url = mock.instance_url(&seeded.definition_id, &seeded.instance_ids[0]);
let body = serde_json::json!({"scope": {}, "reviewers": [{"query": "/users/alice"}]});
let answer = reqwest::Client::new().patch(&url).bearer_auth("my-token").json(&body).send().await?;
assert_eq!(answer.status(), 200);
let stored = mock.instance(&seeded.definition_id, &seeded.instance_ids[0]);
assert_eq!(stored.unwrap()["reviewers"][0]["query"], "/v1.0/users/alice");
assert_eq!(mock.received_requests().len(), 1); // every answered request: kind, path, status
    Ok(())
}
