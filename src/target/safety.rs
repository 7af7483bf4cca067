//! What the runner refuses before sending a single request: writing to a host that is not this
//! machine without `--allow-tenant-writes`, and plain http to such a host (a bearer token would
//! cross the network in the clear). Redirects are never followed (see `target`), so a token is
//! never sent to another origin.

use reqwest::Url;

/// Why a target is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SafetyError {
    /// The URL does not parse or has no host.
    #[error("{what} `{url}` is not an absolute http(s) URL")]
    BadUrl {
        /// Which flag.
        what: &'static str,
        /// The URL.
        url: String,
    },
    /// Plain http to a host that is not this machine.
    #[error(
        "{what} `{url}` uses plain http to {host}, which is not this machine: a bearer token \
         would cross the network in the clear; use https"
    )]
    PlainHttp {
        /// Which flag.
        what: &'static str,
        /// The URL.
        url: String,
        /// Its host.
        host: String,
    },
    /// Writes to a remote host without the flag that allows them.
    #[error(
        "{host} is not this machine: the suite creates, updates and deletes access reviews \
         there; pass --allow-tenant-writes to let it (nothing was sent)"
    )]
    WritesNotAllowed {
        /// The host.
        host: String,
    },
}

/// True for `localhost` and loopback addresses (`[::1]` with or without brackets).
pub fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Checks one URL the run will send to (`what` names its flag in messages).
pub fn check(what: &'static str, url: &str, allow_writes: bool) -> Result<(), SafetyError> {
    let parsed = Url::parse(url);
    // A URL in a message never shows a password it carries.
    let shown = match &parsed {
        Ok(u) if u.password().is_some() && u.host_str().is_some() => {
            let mut u = u.clone();
            let _ = u.set_password(Some("(redacted)"));
            u.to_string()
        }
        _ if url.contains('@') => "(a URL with user-info, not shown)".to_string(),
        _ => url.to_string(),
    };
    let bad = || SafetyError::BadUrl {
        what,
        url: shown.clone(),
    };
    let parsed = parsed.map_err(|_| bad())?;
    let host = parsed.host_str().ok_or_else(bad)?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad());
    }
    if is_loopback(host) {
        return Ok(());
    }
    let host = host.to_string();
    if parsed.scheme() == "http" {
        return Err(SafetyError::PlainHttp {
            what,
            url: shown,
            host,
        });
    }
    if !allow_writes {
        return Err(SafetyError::WritesNotAllowed { host });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("http://127.0.0.1:8080/beta", false, true)]
    #[case("http://localhost/beta", false, true)]
    #[case("http://[::1]:9/beta", false, true)]
    #[case("https://graph.microsoft.com/beta", false, false)]
    #[case("https://graph.microsoft.com/beta", true, true)]
    #[case("http://graph.microsoft.com/beta", true, false)]
    #[case("http://10.0.0.5/beta", true, false)]
    #[case("ftp://127.0.0.1/beta", true, false)]
    #[case("not a url", true, false)]
    fn only_this_machine_is_written_to_without_the_flag(
        #[case] url: &str,
        #[case] allow: bool,
        #[case] ok: bool,
    ) {
        assert_eq!(check("--base-url", url, allow).is_ok(), ok, "{url}");
    }

    #[test]
    fn a_password_in_a_url_is_never_repeated() {
        for url in [
            "http://user:pw-secret-123@graph.example/beta",
            "ftp://user:pw-secret-123@graph.example/beta",
            "user:pw-secret-123@not a url",
        ] {
            let e = check("--base-url", url, true).unwrap_err().to_string();
            assert!(!e.contains("pw-secret-123"), "{e}");
        }
    }
}
