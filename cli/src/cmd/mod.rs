//! One module per verb: its clap arguments struct and its `run` function.

pub mod backup;
pub mod inspect;
pub mod keygen;
pub mod restore;
pub mod root;
