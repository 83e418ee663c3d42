//! Rebuilds the crate when a migration is added or edited: `embed_migrations!` reads the
//! directory at compile time, and cargo does not watch it by itself (diesel's advice).
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
