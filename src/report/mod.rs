//! Reporting: turning a run's trial statuses and outcomes into text for people ([`text`]),
//! the run as data ([`data::RunReport`]: JSON, JUnit, Markdown), the report files a run writes
//! ([`files`]) and rule coverage ([`coverage`]); target text made safe for each of them
//! ([`sanitize`]). Reads values; never sends a request.

pub mod coverage;
pub mod data;
pub mod files;
mod junit;
mod markdown;
pub mod sanitize;
pub mod text;
