//! One module per verb: load, plan, apply.

pub mod build;
pub mod cache;
pub mod ci;
pub mod dist;
pub mod doctor;
pub mod env;
pub mod init;
pub mod internal;
pub mod new;
pub mod oci;
pub mod target;
pub mod targets;
pub mod test;
pub mod toolchain;
pub mod verify;
