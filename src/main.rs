//! `accessreview-conformance`: runs the conformance suite against a target.

fn main() -> std::process::ExitCode {
    accessreview_conformance::app::run_from_args()
}
