//! `accessreview-conformance`: runs the conformance suite against a target.

fn main() -> std::process::ExitCode {
    accessreview_conformance::cli::run_from_args()
}
