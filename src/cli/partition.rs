//! `--partition hash:I/N` and `count:I/N`: one shard of a run, so that N CI jobs run every
//! trial exactly once between them. `count` deals trials out in suite order (trial k goes to
//! shard k mod N); `hash` places a trial by a stable hash of its name (FNV-1a), so a trial keeps
//! its shard when others are added.

use std::fmt;
use std::str::FromStr;

/// How trials are dealt out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// By position in the suite.
    Count,
    /// By a stable hash of the trial's name.
    Hash,
}

/// One shard: `index` of `total` (from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// How trials are dealt out.
    pub scheme: Scheme,
    /// This shard, from 1.
    pub index: u64,
    /// How many shards.
    pub total: u64,
}

/// A partition that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid partition `{0}`: expected hash:I/N or count:I/N with 1 <= I <= N (e.g. hash:1/3)")]
pub struct PartitionError(String);

impl FromStr for Partition {
    type Err = PartitionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || PartitionError(s.to_string());
        let (scheme, shard) = s.split_once(':').ok_or_else(bad)?;
        let scheme = match scheme {
            "count" => Scheme::Count,
            "hash" => Scheme::Hash,
            _ => return Err(bad()),
        };
        let (index, total) = shard.split_once('/').ok_or_else(bad)?;
        let index: u64 = index.trim().parse().map_err(|_| bad())?;
        let total: u64 = total.trim().parse().map_err(|_| bad())?;
        if index == 0 || total == 0 || index > total {
            return Err(bad());
        }
        Ok(Partition {
            scheme,
            index,
            total,
        })
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.scheme {
            Scheme::Count => "count",
            Scheme::Hash => "hash",
        };
        write!(f, "{scheme}:{}/{}", self.index, self.total)
    }
}

/// FNV-1a, 64 bits: stable across runs, platforms and Rust versions.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl Partition {
    /// Whether the trial at `position` (in suite order) named `name` is in this shard.
    pub fn includes(&self, position: usize, name: &str) -> bool {
        let key = match self.scheme {
            Scheme::Count => position as u64,
            Scheme::Hash => fnv1a(name),
        };
        key % self.total == self.index - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("hash:1/3", true)]
    #[case("count:3/3", true)]
    #[case("count:0/3", false)]
    #[case("count:4/3", false)]
    #[case("slice:1/2", false)]
    #[case("hash:1", false)]
    #[case("hash:a/b", false)]
    fn parses(#[case] text: &str, #[case] ok: bool) {
        let parsed = text.parse::<Partition>();
        assert_eq!(parsed.is_ok(), ok, "{text}");
        if let Ok(p) = parsed {
            assert_eq!(p.to_string(), text);
        }
    }

    #[test]
    fn every_trial_is_in_exactly_one_shard() {
        let names: Vec<String> = (0..50).map(|k| format!("case/{k}::put")).collect();
        for scheme in ["hash", "count"] {
            for total in 1..=5u64 {
                for (k, name) in names.iter().enumerate() {
                    let holders = (1..=total)
                        .filter(|i| {
                            format!("{scheme}:{i}/{total}")
                                .parse::<Partition>()
                                .unwrap()
                                .includes(k, name)
                        })
                        .count();
                    assert_eq!(holders, 1, "{scheme} {total} {name}");
                }
            }
        }
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
