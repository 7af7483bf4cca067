//! The deliberate bugs and the silent-page variants. Its main type is [`hooks::Faults`]: the
//! hooks (before, instead of, after) each faithful step of the core goes through, each handed
//! the faithful result. `deviation` and `variant` only name what can be chosen; `hooks` (the
//! request side), `update` (the update transaction's steps) and `answer` (reads, successes,
//! every answer) say how each one lies or answers.

pub(crate) mod answer;
pub(crate) mod deviation;
pub(crate) mod hooks;
pub(crate) mod silent_page;
#[cfg(test)]
mod tests;
pub(crate) mod update;
pub(crate) mod variant;
