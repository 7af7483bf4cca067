//! The shipped cases and schemas are embedded with `include_dir!`, which cargo does not track:
//! rebuild whenever anything under them changes.

fn main() {
    println!("cargo:rerun-if-changed=cases");
    println!("cargo:rerun-if-changed=schemas");
}
