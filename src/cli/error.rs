//! How the command ends: its exit codes, and [`CommandError`] (why it stopped before a
//! verdict, with the exit code that stands for it).

/// Exit code: every trial passed.
pub const EXIT_OK: u8 = 0;
/// Exit code: the target is not conformant.
pub const EXIT_NONCONFORMANT: u8 = 1;
/// Exit code: usage, configuration or case-file error.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: the target could not be reached or provisioning failed.
pub const EXIT_UNREACHABLE: u8 = 3;

/// Why the command stopped before (or instead of) a verdict: printed, with its exit code.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// Bad flags or values.
    #[error("error: {0}")]
    Usage(String),
    /// A file the command was given has a problem at a line and column.
    #[error("{0}")]
    File(Box<crate::diagnostic::Diagnostic>),
    /// A report file could not be written.
    #[error("error: {0}")]
    Write(#[from] crate::report::files::WriteError),
    /// Could not start or reach what the run needs.
    #[error("error: {0}")]
    Setup(String),
}

impl CommandError {
    /// The process exit code it stands for.
    pub fn exit_code(&self) -> u8 {
        match self {
            CommandError::Usage(_) | CommandError::File(_) | CommandError::Write(_) => EXIT_USAGE,
            CommandError::Setup(_) => EXIT_UNREACHABLE,
        }
    }
}
