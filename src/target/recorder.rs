//! Recording a run's exchanges for the benchmark's replay: the [`Recorder`] a target keeps
//! them in, and the [`TRIAL`] task-local that tags each with the trial that sent it (set by the
//! runner, read by the client: it lives here so that the client does not import the runner).

use crate::target::exchange::HttpRequest;

/// One request a recording target sent, in the order sent, and what came back.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The trial that sent it.
    pub trial: String,
    /// The request.
    pub request: HttpRequest,
    /// The answer's status and body, once it came (none without an answer).
    pub answer: Option<(u16, Vec<u8>)>,
}

/// Where a recording target keeps every exchange, in the order the requests were sent.
pub type Recorder = std::sync::Arc<std::sync::Mutex<Vec<Recorded>>>;

tokio::task_local! {
    /// The name of the trial a task runs (tags recorded requests).
    pub static TRIAL: String;
}
