//! Regression tests for what hostile clients found: every refusal is a Graph error body, a
//! non-ASCII reviewer query is answered, a request body the mock does not need is drained
//! before the answer, and a fallback reviewer is identified by query, queryType and queryRoot.

use accessreview_mock::MockServer;
use serde_json::{Value, json};

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

const API: &str = "identityGovernance/accessReviews/definitions";

async fn seeded(mock: &MockServer) -> (String, String) {
    let s = mock
        .seed(&json!({
            "definition": {"fallbackReviewers": [{"query": "/users/bob", "queryType": "MicrosoftGraph"}]},
            "instances": [{"status": "InProgress"}]
        }))
        .unwrap();
    (s.definition_id, s.instance_ids[0].clone())
}

/// Asserts a Graph error body and returns its code.
async fn graph_error(resp: reqwest::Response) -> String {
    let status = resp.status();
    let text = resp.text().await.unwrap();
    let body: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{status}: not a Graph error body ({e}): {text:?}"));
    assert!(body["error"]["code"].is_string(), "{status}: {text}");
    assert!(body["error"]["message"].is_string(), "{status}: {text}");
    body["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn a_non_ascii_reviewer_query_is_answered() {
    let mock = MockServer::start().await.unwrap();
    let (d, i) = seeded(&mock).await;
    let url = format!("{}/{API}/{d}/instances/{i}", mock.base_url());
    for query in ["日本語", "é", "/v1日本", "/betä/users/x"] {
        let body = json!({"scope": {}, "fallbackReviewers": [{"query": query, "queryType": "MicrosoftGraph"}]});
        let resp = client()
            .patch(&url)
            .bearer_auth("t")
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{query}: no answer: {e}"));
        // bob is dropped: 409, as a Graph error body.
        assert_eq!(resp.status(), 409, "{query}");
        graph_error(resp).await;
    }
}

#[tokio::test]
async fn a_path_segment_that_is_not_utf8_is_refused_with_a_graph_error() {
    let mock = MockServer::start().await.unwrap();
    let (d, _) = seeded(&mock).await;
    for path in [
        format!("{API}/{d}/instances/%FF"),
        format!("{API}/%FF%FE/instances/x"),
        format!("{API}/%C3/instances"),
        format!("{API}/%FF"),
    ] {
        let url = format!("{}/{path}", mock.base_url());
        for method in [
            reqwest::Method::GET,
            reqwest::Method::PUT,
            reqwest::Method::PATCH,
        ] {
            let resp = client()
                .request(method.clone(), &url)
                .bearer_auth("t")
                .json(&json!({"scope": {}}))
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            assert!((400..500).contains(&status), "{method} {path}: {status}");
            graph_error(resp).await;
        }
    }
    let control = mock
        .base_url()
        .replace("/beta", "/_conformance/fixtures/%FF");
    let resp = client().delete(&control).send().await.unwrap();
    assert!(resp.status().is_client_error());
    graph_error(resp).await;
}

#[tokio::test]
async fn a_request_body_the_mock_does_not_need_is_drained_before_the_answer() {
    let mock = MockServer::start().await.unwrap();
    let (d, i) = seeded(&mock).await;
    let url = format!("{}/{API}/{d}/instances/{i}", mock.base_url());
    let big = vec![b'x'; 3 << 20];
    for round in 0..10 {
        // A GET with a body, and an update refused before its body is looked at.
        let resp = client()
            .get(&url)
            .bearer_auth("t")
            .body(big.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("round {round}: GET answer lost: {e}"));
        assert_eq!(resp.status(), 200, "round {round}");
        let read: Value = resp.json().await.unwrap();
        assert_eq!(read["id"], i.as_str());
        let resp = client()
            .put(&url)
            .body(big.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("round {round}: 401 answer lost: {e}"));
        assert_eq!(resp.status(), 401, "round {round}");
        graph_error(resp).await;
    }
    // Over the limit: refused with a Graph error body, not a reset connection.
    let huge = vec![b' '; 6 << 20];
    let resp = client()
        .put(&url)
        .bearer_auth("t")
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    graph_error(resp).await;
}

#[tokio::test]
async fn a_fallback_reviewer_is_identified_by_query_type_and_root() {
    let mock = MockServer::start().await.unwrap();
    let (d, i) = seeded(&mock).await;
    let url = format!("{}/{API}/{d}/instances/{i}", mock.base_url());
    let before = mock.instance(&d, &i).unwrap();
    for replacement in [
        json!({"query": "/users/bob"}),
        json!({"query": "/users/bob", "queryType": "Other"}),
        json!({"query": "/users/bob", "queryType": "MicrosoftGraph", "queryRoot": "/users/x"}),
    ] {
        let body = json!({"scope": {}, "fallbackReviewers": [replacement]});
        let resp = client()
            .put(&url)
            .bearer_auth("t")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 409, "{body}");
        graph_error(resp).await;
        assert_eq!(mock.instance(&d, &i).unwrap(), before, "{body}");
    }
    // The same reviewer, echoed form and other letter case: kept, so accepted.
    let same = json!({"scope": {}, "fallbackReviewers": [{"query": "/v1.0/USERS/bob", "queryType": "microsoftgraph"}]});
    let resp = client()
        .put(&url)
        .bearer_auth("t")
        .json(&same)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

/// Sends a request with a large body on a raw socket and returns the whole answer the client
/// could read: writing and reading at once (as most clients do), or — `write_first` — the
/// whole request first and only then the answer (as simple clients do).
async fn raw_exchange(
    addr: std::net::SocketAddr,
    head: String,
    body_len: usize,
    write_first: bool,
) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let mut writer = tokio::spawn(async move {
        let _ = wr.write_all(head.as_bytes()).await;
        let chunk = vec![b'x'; 64 << 10];
        let mut sent = 0;
        while sent < body_len {
            let n = chunk.len().min(body_len - sent);
            if wr.write_all(&chunk[..n]).await.is_err() {
                break;
            }
            sent += n;
        }
        wr
    });
    // The write half is kept open until the answer is read: dropping it would half-close the
    // connection, which a server may take as the client going away.
    let mut _kept = None;
    if write_first {
        let deadline = std::time::Duration::from_secs(10);
        if let Ok(Ok(wr)) = tokio::time::timeout(deadline, &mut writer).await {
            _kept = Some(wr);
        }
    }
    let mut answer = Vec::new();
    let mut buf = vec![0u8; 64 << 10];
    loop {
        match rd.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
        let text = String::from_utf8_lossy(&answer).to_string();
        if let Some(head_end) = text.find("\r\n\r\n") {
            let len = text[..head_end].lines().find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length: ")
                    .and_then(|v| v.trim().parse::<usize>().ok())
            });
            if len.is_some_and(|n| answer.len() >= head_end + 4 + n) {
                break;
            }
        }
    }
    writer.abort();
    String::from_utf8_lossy(&answer).to_string()
}

#[tokio::test]
async fn an_answer_given_before_the_body_is_read_reaches_the_client_whole() {
    let mock = MockServer::start().await.unwrap();
    let (d, i) = seeded(&mock).await;
    let path = format!("/beta/{API}/{d}/instances/{i}");
    for (method, auth, len, status) in std::iter::repeat_n(
        [
            ("GET", "Authorization: Bearer t\r\n", 3 << 20, "200"),
            ("PUT", "", 3 << 20, "401"),
            ("PUT", "Authorization: Bearer t\r\n", 8 << 20, "413"),
            ("PUT", "Authorization: Bearer t\r\n", 80 << 20, "413"),
        ],
        3,
    )
    .flatten()
    {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nContent-Length: {len}\r\n\r\n"
        );
        for write_first in [false, true] {
            // Past the drain limit the connection is closed: only a client that reads while
            // it writes can see the answer.
            if write_first && len > 64 << 20 {
                continue;
            }
            let answer = raw_exchange(mock.addr(), head.clone(), len, write_first).await;
            assert!(
                answer.starts_with(&format!("HTTP/1.1 {status}")),
                "{method} {status}: {:?}",
                answer.chars().take(200).collect::<String>()
            );
            let body = &answer[answer.find("\r\n\r\n").map_or(0, |i| i + 4)..];
            let parsed: Result<Value, _> = serde_json::from_str(body);
            assert!(
                parsed.is_ok(),
                "{method} {status}: the body was cut: {body:?}"
            );
        }
    }
}
