//! The faithful core: what the API page says, with no HTTP routing and no deviation. Its main
//! type is [`store::Store`], the definitions and instances the rules of `spec` read and
//! write; `auth` says who may call, `answer` what a faithful answer looks like.

pub(crate) mod answer;
pub(crate) mod auth;
pub(crate) mod credential;
pub(crate) mod query;
pub(crate) mod refusal;
pub(crate) mod spec;
pub(crate) mod store;
pub(crate) mod transaction;
