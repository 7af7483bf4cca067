//! Which principals a case names: every `${principal.NAME}` in its starting state, its request
//! and its expectations (a live run needs the tenant's object id for each).

use std::collections::BTreeSet;

use super::template::{Expr, Text};
use super::{Case, RequestBody, Then};

impl Then {
    /// Every template expression in these expectations.
    fn exprs(&self) -> Vec<&Expr> {
        let mut out: Vec<&Expr> = Vec::new();
        for (_, m) in &self.headers {
            out.extend(m.exprs());
        }
        let after = &self.afterwards;
        for m in [
            &self.body,
            &self.acknowledged,
            &after.instance,
            &after.definition,
            &after.siblings,
        ]
        .into_iter()
        .flatten()
        {
            out.extend(m.exprs());
        }
        out
    }
}

impl Case {
    /// The principal names the case uses anywhere (its starting state, its request, its
    /// expectations), sorted.
    pub fn principals(&self) -> BTreeSet<&str> {
        let mut exprs: Vec<&Expr> = Vec::new();
        for f in &self.given.fixtures {
            exprs.extend(f.definition.exprs());
            for (_, i) in &f.instances {
                exprs.extend(i.exprs());
            }
        }
        let w = &self.when;
        exprs.extend(w.definition.exprs());
        exprs.extend(w.instance.exprs());
        for (_, v) in &w.headers {
            exprs.extend(v.iter().flat_map(Text::exprs));
        }
        for (_, values) in &w.each {
            exprs.extend(values.iter().flat_map(Text::exprs));
        }
        if let RequestBody::Json(t) = &w.body {
            exprs.extend(t.exprs());
        }
        exprs.extend(self.then.exprs());
        if let Some(r) = &self.reference {
            exprs.extend(r.then.exprs());
        }
        exprs
            .into_iter()
            .filter_map(|e| match e {
                Expr::Principal(name) => Some(name.as_str()),
                _ => None,
            })
            .collect()
    }
}
