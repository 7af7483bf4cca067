//! What a live tenant does around the update. Its main type is [`lifecycle::Lifecycle`]: how
//! definitions are created, activated after a delay, stopped, listed and deleted
//! (`lifecycle`), a client-credentials token endpoint with expiring tokens (`token`; a
//! certificate's signed assertion is checked in `assertion`), and throttling (`throttle`).

pub(crate) mod assertion;
pub(crate) mod lifecycle;
pub(crate) mod queries;
pub(crate) mod throttle;
pub(crate) mod token;
