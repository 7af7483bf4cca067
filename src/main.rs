//! `accessreview-conformance`: runs the conformance suite against a target.

use clap::Parser;

fn main() -> std::process::ExitCode {
    accessreview_conformance::app::run(accessreview_conformance::app::Cli::parse())
}
