//! accessreview-conformance: a conformance suite for the Microsoft Graph beta API
//! *Update accessReviewInstance*.
#![warn(missing_docs)]

pub mod case;
pub mod cli;
pub mod coverage;
pub mod credential;
pub mod embedded;
pub mod exchange;
pub mod expectations;
pub mod files;
pub mod finding;
pub mod gate;
pub mod graph;
pub mod load;
pub mod matching;
pub mod oauth;
pub mod outcome;
pub mod partition;
pub mod progress;
pub mod provision;
pub mod query;
pub mod report;
pub mod report_files;
pub mod rules;
pub mod run_report;
pub mod runner;
pub mod safety;
pub mod schema;
pub mod selfcheck;
pub mod source;
pub mod status;
pub mod sweep;
pub mod target;
pub mod template;
pub mod verify;
