//! accessreview-conformance: a conformance suite for the Microsoft Graph beta API
//! *Update accessReviewInstance*.
//!
//! The folders draw the pipeline: [`case`] (the model) ← [`load`] (files → model) →
//! [`run`] (one trial in phases, through [`provision`] and [`target`]; [`live`] for a real
//! tenant) → [`report`] (text, JSON, JUnit, Markdown); [`cli`] is the command, and
//! [`selfcheck`] the suite against its own reference mock. ARCHITECTURE.md has the map.
#![warn(missing_docs)]

pub mod case;
pub mod cli;
pub mod diagnostic;
pub mod live;
pub mod load;
pub mod profile;
pub mod provision;
pub mod report;
pub mod run;
pub mod selfcheck;
pub mod target;
