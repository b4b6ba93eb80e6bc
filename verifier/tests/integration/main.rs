//! The crate's integration tests, one module per file, built as one test binary (one link
//! and one copy of the generic arkworks code instead of one per file: CI time).

mod ark_compat;
#[path = "../common/mod.rs"]
mod common;
mod parsers;
mod timing;
mod trusted;
mod verify;
mod vk_files;
