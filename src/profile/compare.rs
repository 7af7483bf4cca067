//! `--compare A B`: the same trials against two targets, and every behaviour where they
//! differ, per trial and rule. Noise first, as Diffy does: A is run twice, and a fact that
//! differs between those two runs (a generated id, a date, the winner of a race) is left out.
//! The comparison is data (JSON, `schemas/comparison.schema.json`), text and Markdown.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::case::matching::clip;
use crate::profile::observed::Observed;
use crate::report::sanitize::{code_span, table_cell};
use crate::run::behaviour::differences;

/// How long a value may be in a comparison (longer ones are clipped, with a fingerprint).
const MAX_VALUE: usize = 200;

/// Two targets' behaviours side by side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comparison {
    /// The format's version.
    pub comparison: u32,
    /// Target A (as given).
    pub a: String,
    /// Target B (as given).
    pub b: String,
    /// How many trials were compared.
    pub trials: usize,
    /// How many facts were left out as noise (they differ between two runs of A).
    pub noise: usize,
    /// Every fact that differs, by trial then fact.
    pub differences: Vec<Difference>,
    /// The trials that could not run in some run (of A or B): nothing is learned or compared
    /// of them.
    pub not_compared: Vec<String>,
}

/// One fact on which the targets differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// The trial.
    pub trial: String,
    /// The rules it cites.
    pub rules: Vec<String>,
    /// The fact (`status`, `error.code`, `value body /id`, …).
    pub fact: String,
    /// What A did.
    pub a: String,
    /// What B did.
    pub b: String,
}

/// A run's facts by trial: its outcome, and its behaviour's facts.
fn facts(run: &[Observed]) -> BTreeMap<&str, (&Observed, BTreeMap<String, String>)> {
    run.iter()
        .map(|o| {
            let mut f = o
                .behaviour
                .as_ref()
                .map(|b| b.facts.clone())
                .unwrap_or_default();
            f.insert("outcome".into(), o.outcome.into());
            (o.name.as_str(), (o, f))
        })
        .collect()
}

/// Compares `b` with `a`, leaving out what differs between `a` and `a_again`; `redact` takes
/// every secret out of a value before it is clipped.
pub fn compare(
    (a_name, b_name): (&str, &str),
    a: &[Observed],
    a_again: &[Observed],
    b: &[Observed],
    redact: &dyn Fn(&str) -> String,
) -> Comparison {
    let (a, again, b) = (facts(a), facts(a_again), facts(b));
    let none = BTreeMap::new();
    let mut out = Comparison {
        comparison: 1,
        a: a_name.into(),
        b: b_name.into(),
        trials: 0,
        noise: 0,
        differences: Vec::new(),
        not_compared: Vec::new(),
    };
    let errored = |run: &BTreeMap<&str, (&Observed, BTreeMap<String, String>)>, name: &str| {
        run.get(name).is_some_and(|(o, _)| o.outcome == "error")
    };
    let mut names: Vec<&str> = a.keys().chain(b.keys()).copied().collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        if errored(&a, name) || errored(&again, name) || errored(&b, name) {
            out.not_compared.push(redact(name));
            continue;
        }
        let (fa, fb) = (a.get(name), b.get(name));
        let observed = fa.or(fb).map(|(o, _)| *o);
        let fa = fa.map_or(&none, |(_, f)| f);
        let fb = fb.map_or(&none, |(_, f)| f);
        let fagain = again.get(name).map_or(&none, |(_, f)| f);
        out.trials += 1;
        let noise: Vec<&str> = (differences(fa, fagain).into_iter())
            .map(|(fact, _, _)| fact)
            .collect();
        for (fact, va, vb) in differences(fa, fb) {
            if noise.contains(&fact) {
                out.noise += 1;
                continue;
            }
            out.differences.push(Difference {
                trial: redact(name),
                rules: observed.map(|o| o.cited.clone()).unwrap_or_default(),
                fact: redact(fact),
                a: clip(&redact(va), MAX_VALUE),
                b: clip(&redact(vb), MAX_VALUE),
            });
        }
    }
    out
}

impl Comparison {
    /// Whether the two targets behaved alike (in every trial compared).
    pub fn alike(&self) -> bool {
        self.differences.is_empty()
    }

    /// The lines saying which trials were not compared, if any.
    fn not_compared_text(&self) -> String {
        if self.not_compared.is_empty() {
            return String::new();
        }
        format!(
            "{} trials could not run in some run and were not compared: {}\n",
            self.not_compared.len(),
            self.not_compared.join(", ")
        )
    }

    /// The comparison for people (values as the targets sent them: the caller makes the text
    /// safe for a terminal).
    pub fn render_text(&self) -> String {
        let mut out = format!(
            "compare: A = {}, B = {}\n{} trials; {} facts left out as noise (they differ between two runs of A)\n",
            self.a, self.b, self.trials, self.noise
        );
        out.push_str(&self.not_compared_text());
        if self.alike() {
            out.push_str("A and B behave alike.\n");
            return out;
        }
        out.push_str(&format!("{} facts differ:\n", self.differences.len()));
        let mut trial = "";
        for d in &self.differences {
            if d.trial != trial {
                trial = &d.trial;
                out.push_str(&format!("\n{} (rules: {})\n", d.trial, d.rules.join(", ")));
            }
            out.push_str(&format!("  {}: A {} | B {}\n", d.fact, d.a, d.b));
        }
        out
    }

    /// The comparison as Markdown (every target value in a code span).
    pub fn render_markdown(&self) -> String {
        let mut out = format!(
            "## Compare\n\n- A: {}\n- B: {}\n- {} trials; {} facts left out as noise (they differ between two runs of A)\n\n",
            code_span(&self.a),
            code_span(&self.b),
            self.trials,
            self.noise
        );
        if !self.not_compared.is_empty() {
            let names: Vec<String> = self.not_compared.iter().map(|n| code_span(n)).collect();
            out.push_str(&format!(
                "Not compared (could not run in some run): {}\n\n",
                names.join(", ")
            ));
        }
        if self.alike() {
            out.push_str("A and B behave alike.\n");
            return out;
        }
        out.push_str("| trial | rules | fact | A | B |\n|---|---|---|---|---|\n");
        for d in &self.differences {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                table_cell(&d.trial),
                d.rules.join(", "),
                table_cell(&d.fact),
                table_cell(&d.a),
                table_cell(&d.b)
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(trials: &[(&str, &[(&str, &str)])]) -> Vec<Observed> {
        (trials.iter())
            .map(|(name, facts)| Observed::passed(name, name, "PUT", &["rule-a"], facts))
            .collect()
    }

    #[test]
    fn what_differs_between_two_runs_of_a_is_noise() {
        let a = run(&[("t", &[("status", "200"), ("value body /id", "\"1\"")])]);
        let again = run(&[("t", &[("status", "200"), ("value body /id", "\"2\"")])]);
        let same = run(&[("t", &[("status", "200"), ("value body /id", "\"3\"")])]);
        let c = compare(("a", "b"), &a, &again, &same, &str::to_string);
        assert!(c.alike(), "{c:?}");
        assert_eq!(c.noise, 1);
        let other = run(&[("t", &[("status", "409"), ("value body /id", "\"3\"")])]);
        let c = compare(("a", "b"), &a, &again, &other, &str::to_string);
        assert_eq!(
            c.differences,
            vec![Difference {
                trial: "t".into(),
                rules: vec!["rule-a".into()],
                fact: "status".into(),
                a: "200".into(),
                b: "409".into()
            }]
        );
        assert!(c.render_text().contains("  status: A 200 | B 409"));
    }

    #[test]
    fn a_value_with_pipes_and_line_breaks_stays_in_its_cell() {
        use pulldown_cmark::{Event, Options, Parser, Tag};
        let a = run(&[("t", &[("status", "200 | 409")])]);
        let b = run(&[("t", &[("status", "x|y\n| a | b |\n## h`|`")])]);
        let md = compare(("a", "b"), &a, &a, &b, &str::to_string).render_markdown();
        let cells = |row: usize| {
            let (mut rows, mut cells, mut headings) = (0, 0, 0);
            for e in Parser::new_ext(&md, Options::ENABLE_TABLES) {
                match e {
                    Event::Start(Tag::TableRow) => rows += 1,
                    Event::Start(Tag::TableCell) if rows == row => cells += 1,
                    Event::Start(Tag::Heading { .. }) => headings += 1,
                    _ => {}
                }
            }
            assert_eq!(headings, 1, "a heading from a value: {md}");
            cells
        };
        assert_eq!(cells(1), 5, "{md}");
        let text: String = Parser::new_ext(&md, Options::ENABLE_TABLES)
            .filter_map(|e| match e {
                Event::Code(c) => Some(c.to_string()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n");
        assert!(text.contains("200 | 409"), "{text}");
    }

    #[test]
    fn a_trial_that_could_not_run_is_not_compared_and_teaches_no_noise() {
        let a = run(&[("t", &[("status", "200")]), ("u", &[("status", "200")])]);
        let mut again = a.clone();
        again[0].outcome = "error";
        again[0].behaviour = None;
        let b = run(&[("t", &[("status", "409")]), ("u", &[("status", "200")])]);
        let c = compare(("a", "b"), &a, &again, &b, &str::to_string);
        assert_eq!(c.not_compared, ["t"]);
        assert!(c.differences.is_empty() && c.noise == 0, "{c:?}");
        assert!(
            c.render_text()
                .contains("1 trials could not run in some run and were not compared: t")
        );
    }

    #[test]
    fn secrets_are_taken_out_before_a_value_is_clipped() {
        let secret = "s3cr3t-token-value";
        let long = format!("{secret}{}", "x".repeat(400));
        let a = run(&[("t", &[("error.code", "X")])]);
        let b = run(&[("t", &[("error.code", long.as_str())])]);
        let c = compare(("a", "b"), &a, &a, &b, &|s| s.replace(secret, "(redacted)"));
        assert!(c.differences[0].b.starts_with("(redacted)xxx"), "{c:?}");
        assert!(!format!("{c:?}").contains("s3cr3t"));
    }

    #[test]
    fn a_trial_only_one_side_ran_is_a_difference() {
        let a = run(&[("t", &[("status", "200")])]);
        let c = compare(("a", "b"), &a, &a, &[], &str::to_string);
        assert_eq!(c.differences.len(), 2, "{c:?}");
        assert_eq!(c.differences[0].b, "(absent)");
    }
}
