//! Rendering outcomes as text for people: the failure message of a trial shows the case, the
//! rules it verifies, every finding, and the exchange (token redacted). Never sends requests.

use std::fmt::Write as _;

use crate::case::TrialSpec;
use crate::case::finding::{Finding, Severity};
use crate::case::matching::clip;
use crate::case::rules::Catalogue;
use crate::load::BrokenCase;
use crate::run::outcome::{Outcome, Verdict};
use crate::target::exchange::Exchange;

/// Bodies are shown up to this many characters.
const BODY_LIMIT: usize = 2000;

fn cut(text: &str) -> String {
    clip(text, BODY_LIMIT)
}

/// The message of a failed or errored trial. `redact` removes secrets from the whole text.
pub fn render_outcome(
    spec: &TrialSpec,
    outcome: &Outcome,
    rules: &Catalogue,
    redact: &dyn Fn(&str) -> String,
) -> String {
    let case = &spec.case;
    let mut s = String::new();
    let _ = writeln!(s, "case {} ({})", case.id, case.file);
    let _ = writeln!(s, "  {}", case.description);
    if !spec.row.is_empty() {
        let _ = writeln!(
            s,
            "  matrix: {}",
            serde_json::Value::Object(spec.row.clone())
        );
    }
    match &outcome.verdict {
        Verdict::Pass => {}
        Verdict::Skip(reason) => {
            let _ = writeln!(s, "\nskipped: {reason}");
        }
        Verdict::Fail(findings) | Verdict::Diverge(findings) => {
            let failures = render_findings(findings, Severity::Failure);
            if !failures.is_empty() {
                let _ = write!(s, "\nnot conformant: {failures}");
            }
            let divergences = render_findings(findings, Severity::Divergence);
            if !divergences.is_empty() {
                let _ = write!(
                    s,
                    "\ndiverges from the reference behaviour where the page is silent: {divergences}"
                );
            }
        }
        Verdict::Error(e) => {
            let _ = writeln!(s, "\nerror (the case could not run): {e}");
        }
    }
    for e in &outcome.cleanup {
        let _ = writeln!(s, "  ! cleanup: {e}");
    }
    let _ = writeln!(s, "\nrules verified by this trial:");
    for id in spec.cited_rules() {
        match rules.get(id) {
            Some(r) => {
                let _ = writeln!(s, "  - {id} ({}): {}", r.kind.name(), r.text.trim());
                let _ = writeln!(s, "    {}", rules.link(r));
            }
            None => {
                let _ = writeln!(s, "  - {id}");
            }
        }
    }
    if let Some(x) = &outcome.exchange {
        s.push('\n');
        s.push_str(&render_exchange(x));
        s.push_str(&render_reproduction(outcome, x));
    }
    redact(&s)
}

/// How to send the request again, and the state it needs: kept on the target as the trial
/// left it (its ids, and how to delete it), or deleted (the requests that created it).
fn render_reproduction(outcome: &Outcome, x: &Exchange) -> String {
    use crate::report::data::RequestReport;
    let mut s = String::new();
    let setup: Vec<RequestReport> = outcome.setup.iter().map(RequestReport::of).collect();
    let applied = x.response.as_ref().is_ok_and(|r| r.status / 100 == 2);
    match &outcome.kept {
        Some(kept) => {
            let ids: Vec<String> = kept.ids.iter().map(|(k, v)| format!("{k} = {v}")).collect();
            let _ = writeln!(
                s,
                "\nreproduce (the token from $GRAPH_TOKEN); the state as the trial left it is kept on the target (--keep-on-failure): {}{}\n  {}",
                ids.join(", "),
                if applied {
                    "; the request was answered with success, so that state may be the updated one, not the starting state"
                } else {
                    ""
                },
                curl(x)
            );
            let _ = writeln!(s, "delete the kept state afterwards:");
            for r in &kept.delete {
                let _ = writeln!(s, "  {}", RequestReport::of(r).curl());
            }
        }
        None if !setup.is_empty() => {
            let _ = writeln!(
                s,
                "\nreproduce (the token from $GRAPH_TOKEN); the starting state it needs was deleted after the trial: create it again first (the target gives new ids: put them into the request's URL), or run with --keep-on-failure to keep it\n  {}",
                curl(x)
            );
        }
        None => {
            let _ = writeln!(
                s,
                "\nreproduce (the token from $GRAPH_TOKEN):\n  {}",
                curl(x)
            );
        }
    }
    if !setup.is_empty() {
        let _ = writeln!(
            s,
            "the starting state was created with (a live tenant then activates it, and stops it for a Completed state):"
        );
        for r in &setup {
            let _ = writeln!(s, "  {}", r.curl());
        }
    }
    s
}

/// The findings of one severity that follow from no other, each with the rules it breaks
/// and, under it, what follows from it (a consequence saying the same as its cause, as a
/// second report of one timeout would, is left out). Empty when there are none.
fn render_findings(findings: &[Finding], severity: Severity) -> String {
    let causes: Vec<(usize, &Finding)> = findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.severity == severity && f.consequence_of.is_none())
        .collect();
    if causes.is_empty() {
        return String::new();
    }
    let mut s = format!("{} finding(s)\n", causes.len());
    for (i, cause) in causes {
        let _ = writeln!(s, "  - {cause}{}", rules_suffix(cause));
        let repeats = |f: &Finding| f.location == cause.location && f.actual == cause.actual;
        for f in findings
            .iter()
            .filter(|f| f.consequence_of == Some(i) && !repeats(f))
        {
            let _ = writeln!(s, "      follows from it: {f}");
        }
    }
    s
}

fn rules_suffix(f: &Finding) -> String {
    if f.rules.is_empty() {
        "  [a precondition of the case: no rule it cites checks this; its rules are not verified]"
            .to_string()
    } else {
        format!("  [{}]", f.rules.join(", "))
    }
}

/// A `curl` command that sends the exchange's request again, with the token as the
/// placeholder `$GRAPH_TOKEN` (never the token itself).
pub fn curl(x: &Exchange) -> String {
    crate::report::data::curl_line(&crate::report::data::exchange_report(x))
}

/// The request and response of an exchange, as text.
pub fn render_exchange(x: &Exchange) -> String {
    let mut s = String::new();
    let r = &x.request;
    let _ = writeln!(s, "request:\n  {} {}", r.method, r.url);
    for (k, shown) in r.shown_headers() {
        let _ = writeln!(s, "  {k}: {shown}");
    }
    if let Some(b) = &r.body {
        let _ = writeln!(s, "\n  {}", cut(&String::from_utf8_lossy(b)));
    }
    match &x.response {
        Ok(resp) => {
            let _ = writeln!(s, "response:\n  status {}", resp.status);
            for (k, v) in resp.headers.iter().filter(|(k, _)| {
                [
                    "content-type",
                    "request-id",
                    "client-request-id",
                    "content-length",
                ]
                .contains(&k.as_str())
            }) {
                let _ = writeln!(s, "  {k}: {v}");
            }
            if !resp.body.is_empty() {
                let _ = writeln!(s, "\n  {}", cut(&String::from_utf8_lossy(&resp.body)));
            }
        }
        Err(e) => {
            let _ = writeln!(s, "response: none ({e})");
        }
    }
    s
}

/// The message of a case file that could not be loaded.
pub fn render_broken(case: &BrokenCase) -> String {
    let mut s = format!("case file {} could not be loaded:\n", case.id);
    for d in &case.diagnostics {
        let _ = writeln!(s, "\n{d}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::finding::Location;

    #[test]
    fn a_timeout_is_said_once_and_what_follows_is_shown_under_its_cause() {
        let mut timeout = Finding::new(Location::Answer, "a complete answer", "timed out");
        timeout.rules = vec!["success-returns-updated-instance".into()];
        let mut again = timeout.clone();
        again.severity = Severity::Divergence;
        again.consequence_of = Some(0);
        let mut read = Finding::new(
            Location::After {
                object: crate::case::finding::StateObject::Instance,
                path: "$.fallbackReviewers".into(),
            },
            "[bob]",
            "[]",
        );
        read.consequence_of = Some(0);
        let text = render_findings(&[timeout, again, read], Severity::Failure);
        assert_eq!(text.matches("timed out").count(), 1, "{text}");
        assert!(text.starts_with("1 finding(s)\n"), "{text}");
        assert!(
            text.contains(
                "  - response: $: expected a complete answer, got timed out  [success-returns-updated-instance]\n      follows from it: instance afterwards: $.fallbackReviewers: expected [bob], got []"
            ),
            "{text}"
        );
        // Nothing of the divergence section: its only finding follows from the failure.
        assert_eq!(render_findings(&[], Severity::Divergence), String::new());
    }
}
