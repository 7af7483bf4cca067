use super::*;
use rstest::rstest;

#[rstest]
#[case("http://127.0.0.1:8080/beta", "http://127.0.0.1:8080/_conformance")]
#[case(
    "https://graph.microsoft.com/beta/",
    "https://graph.microsoft.com/_conformance"
)]
#[case("http://localhost:1", "http://localhost:1/_conformance")]
fn control_url_defaults_to_origin(#[case] base: &str, #[case] control: &str) {
    assert_eq!(default_control_url(base), control);
}

#[test]
fn secret_never_shows() {
    let s = Secret::new("tok-12345");
    assert_eq!(format!("{s} {s:?}"), "(redacted) (redacted)");
    install_crypto();
    let t = Target::new("http://x/beta", None, Some(s), Duration::from_secs(1), 10).unwrap();
    assert_eq!(t.redact("Bearer tok-12345!"), "Bearer (redacted)!");
    assert!(!format!("{t:?}").contains("tok-12345"));
    // A very short token is taken out only where it stands as a whole token.
    let short = Target::new(
        "http://x/beta",
        None,
        Some(Secret::new("t")),
        Duration::from_secs(1),
        10,
    )
    .unwrap();
    assert_eq!(short.redact("https://learn"), "https://learn");
    assert_eq!(short.redact("Bearer t"), "Bearer (redacted)");
}

/// A target at `addr` with a timeout and a body cap.
fn target_at(addr: impl std::fmt::Display, timeout: Duration, max_body: usize) -> Target {
    Target::new(
        &format!("http://{addr}/beta"),
        None,
        None,
        timeout,
        max_body,
    )
    .unwrap()
}

/// A GET of a definition.
fn get(t: &Target) -> HttpRequest {
    HttpRequest {
        method: "GET".into(),
        url: t.definition_url("d"),
        headers: vec![],
        body: None,
    }
}

/// A server that answers every connection with `response` and then closes.
async fn raw_server(response: &'static str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await;
            let _ = sock.write_all(response.as_bytes()).await;
        }
    });
    format!("http://{addr}/beta")
}

#[rstest]
#[case::announced_too_large(
    "HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n{}",
    "exceeds 100 bytes"
)]
#[case::cut_short(
    "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{\"a\":",
    "could not be read"
)]
#[case::not_http("SSH-2.0-OpenSSH_9.6\r\n", "could not be read")]
#[tokio::test]
async fn broken_answers_are_transport_errors(
    #[case] response: &'static str,
    #[case] message: &str,
) {
    install_crypto();
    let base = raw_server(response).await;
    let t = Target::new(&base, None, None, Duration::from_secs(5), 100).unwrap();
    let req = get(&t);
    let err = t.send(&req).await.unwrap_err();
    assert!(err.to_string().contains(message), "{err}");
}

#[tokio::test]
async fn silence_is_a_timeout() {
    install_crypto();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let _keep = tokio::spawn(async move {
        let held = listener.accept().await;
        std::future::pending::<()>().await;
        drop(held);
    });
    let t = target_at(addr, Duration::from_millis(300), 100);
    let req = get(&t);
    assert_eq!(
        t.send(&req).await.unwrap_err(),
        TransportError::Timeout(Duration::from_millis(300))
    );
}

#[tokio::test]
async fn nobody_listening_is_a_connect_error() {
    install_crypto();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let t = target_at(addr, Duration::from_secs(5), 100);
    let req = get(&t);
    assert!(matches!(
        t.send(&req).await.unwrap_err(),
        TransportError::Connect { .. }
    ));
}

#[test]
fn ids_cannot_change_the_path() {
    install_crypto();
    let t = Target::new("http://x/beta", None, None, Duration::from_secs(1), 10).unwrap();
    assert_eq!(
        t.instance_url("a/b", "c?d"),
        "http://x/beta/identityGovernance/accessReviews/definitions/a%2Fb/instances/c%3Fd"
    );
}

/// A server that answers its n-th connection with `answers[n]` (the last one from then on),
/// and counts the connections.
async fn sequence_server(
    answers: Vec<&'static str>,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = std::sync::Arc::clone(&count);
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let answer = answers[n.min(answers.len() - 1)];
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await;
            let _ = sock.write_all(answer.as_bytes()).await;
        }
    });
    (format!("http://{addr}/beta"), count)
}

const OK: &str = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
const GATEWAY_TIMEOUT: &str =
    "HTTP/1.1 504 Gateway Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
const UNAVAILABLE: &str = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
const THROTTLED_LONG: &str = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 301\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

#[rstest]
#[case::gateway_timeout_is_retried("GET", vec![GATEWAY_TIMEOUT, OK], 200, 2)]
#[case::unavailable_is_retried("PUT", vec![UNAVAILABLE, OK], 200, 2)]
#[case::a_create_is_not_sent_again_after_503("POST", vec![UNAVAILABLE, OK], 503, 1)]
#[case::a_create_is_not_sent_again_after_504("POST", vec![GATEWAY_TIMEOUT, OK], 504, 1)]
#[case::a_retry_after_past_the_maximum_stands("GET", vec![THROTTLED_LONG, OK], 429, 1)]
#[tokio::test]
async fn throttling_is_retried_as_the_sdks_do_it(
    #[case] method: &str,
    #[case] answers: Vec<&'static str>,
    #[case] status: u16,
    #[case] connections: usize,
) {
    install_crypto();
    let (base, count) = sequence_server(answers).await;
    let t = Target::new(&base, None, None, Duration::from_secs(5), 1 << 20).unwrap();
    let mut req = get(&t);
    req.method = method.into();
    let resp = t.send(&req).await.unwrap();
    assert_eq!(resp.status, status);
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), connections);
}
