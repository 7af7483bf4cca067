//! Recording a run's requests for the benchmark's replay: the [`Recorder`] a target keeps
//! them in, and the [`TRIAL`] task-local that tags each with the trial that sent it (set by the
//! runner, read by the client: it lives here so that the client does not import the runner).

use crate::target::exchange::HttpRequest;

/// Where a recording target keeps every request it sends, with the trial that sent it.
pub type Recorder = std::sync::Arc<std::sync::Mutex<Vec<(String, HttpRequest)>>>;

tokio::task_local! {
    /// The name of the trial a task runs (tags recorded requests).
    pub static TRIAL: String;
}
