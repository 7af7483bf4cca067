//! The run as a Markdown summary for a pull request (`--report-markdown`,
//! `$GITHUB_STEP_SUMMARY`): the counts, the trials that did not pass, and a table by rule.

use std::fmt::Write as _;

use crate::report::data::{FindingReport, RunReport};
use crate::report::sanitize::code_span;
use crate::run::status::TrialStatus;

impl RunReport {
    /// A summary by outcome and by rule, readable in a pull request.
    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "## accessreview-conformance\n");
        let _ = writeln!(
            md,
            "Target {}, enforcing `{}`: **{}**.\n",
            code_span(&self.target),
            self.enforce.name(),
            self.summary.sentence()
        );
        let listed = |o: TrialStatus| self.trials.iter().filter(move |t| t.outcome == o);
        for (o, title) in [
            (TrialStatus::Fail, "Failures"),
            (TrialStatus::UnexpectedPass, "Passed unexpectedly"),
            (TrialStatus::Error, "Could not run"),
            (TrialStatus::Broken, "Broken case files"),
            (TrialStatus::Diverge, "Divergences"),
            (TrialStatus::ExpectedFail, "Failed as expected"),
            (TrialStatus::ExpectedDiverge, "Diverged as expected"),
        ] {
            if listed(o).next().is_none() {
                continue;
            }
            let _ = writeln!(md, "### {title}\n");
            for t in listed(o) {
                let first = t
                    .findings
                    .first()
                    .map(FindingReport::line)
                    .or_else(|| t.reason.clone())
                    .unwrap_or_default();
                // Anything a target sent is inside a code span: it can make no heading, row,
                // link or comment.
                let _ = writeln!(
                    md,
                    "- {} ({}): {}",
                    code_span(&t.name),
                    code_span(&t.case_file),
                    code_span(&first)
                );
            }
            md.push('\n');
        }
        md.push_str(&self.by_rule_markdown());
        md
    }

    /// The "by rule" table: each rule, and how it fared in its trials.
    fn by_rule_markdown(&self) -> String {
        const COLUMNS: [(&str, &[TrialStatus]); 6] = [
            ("passed", &[TrialStatus::Pass, TrialStatus::UnexpectedPass]),
            ("failed", &[TrialStatus::Fail]),
            ("diverged", &[TrialStatus::Diverge]),
            (
                "expected",
                &[TrialStatus::ExpectedFail, TrialStatus::ExpectedDiverge],
            ),
            ("skipped", &[TrialStatus::Skip]),
            ("could not run", &[TrialStatus::Error, TrialStatus::Broken]),
        ];
        let mut by_rule: std::collections::BTreeMap<(&str, &str), [usize; 6]> = Default::default();
        // Each trial counts for a rule as the rule fared in it: failed only when a finding
        // names the rule.
        for t in &self.trials {
            for r in &t.rules {
                let counts = by_rule.entry((r.kind.as_str(), r.id.as_str())).or_default();
                if let Some(c) = COLUMNS.iter().position(|(_, s)| s.contains(&r.outcome)) {
                    counts[c] += 1;
                }
            }
        }
        let mut md = String::new();
        let _ = writeln!(md, "### By rule\n");
        let names: Vec<&str> = COLUMNS.iter().map(|(n, _)| *n).collect();
        let _ = writeln!(md, "| rule | kind | {} |", names.join(" | "));
        let _ = writeln!(md, "|---|---|{}", "---|".repeat(COLUMNS.len()));
        for ((kind, id), c) in &by_rule {
            let cells: Vec<String> = c.iter().map(ToString::to_string).collect();
            let _ = writeln!(md, "| `{id}` | {kind} | {} |", cells.join(" | "));
        }
        md
    }
}
