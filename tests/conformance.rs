//! The shipped suite against the embedded reference mock, under plain `cargo test`
//! (libtest-mimic harness: the runner's own flags and libtest's work after `--`).

fn main() -> std::process::ExitCode {
    accessreview_conformance::cli::run_from_args()
}
