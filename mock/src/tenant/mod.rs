//! What a live tenant does around the update. Its main type is [`lifecycle::Lifecycle`]: how
//! definitions are created, activated after a delay, stopped, listed and deleted
//! (`lifecycle`), a client-credentials token endpoint with expiring tokens (`token`), and
//! throttling (`throttle`).

pub(crate) mod lifecycle;
pub(crate) mod throttle;
pub(crate) mod token;
