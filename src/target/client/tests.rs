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
    assert_eq!(format!("{s} {s:?}"), "<redacted> <redacted>");
    install_crypto();
    let t = Target::new("http://x/beta", None, Some(s), Duration::from_secs(1), 10).unwrap();
    assert_eq!(t.redact("Bearer tok-12345!"), "Bearer <redacted>!");
    assert!(!format!("{t:?}").contains("tok-12345"));
    // A very short token is not hunted in free text: it would garble every word.
    let short = Target::new(
        "http://x/beta",
        None,
        Some(Secret::new("t")),
        Duration::from_secs(1),
        10,
    )
    .unwrap();
    assert_eq!(short.redact("https://learn"), "https://learn");
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
