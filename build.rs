//! `include_dir!` does not tell cargo which files it read: rebuild when the embedded
//! console or the page templates change, so a local `cargo run` never serves stale ones.

fn main() {
    println!("cargo:rerun-if-changed=web/dist");
    println!("cargo:rerun-if-changed=page-templates");
    println!("cargo:rerun-if-changed=build.rs");
}
