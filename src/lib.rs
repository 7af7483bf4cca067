//! accessreview-conformance: a conformance suite for the Microsoft Graph beta API
//! *Update accessReviewInstance*.
#![warn(missing_docs)]

pub mod matching;
pub mod mock;
pub mod query;
pub mod source;
pub mod template;
