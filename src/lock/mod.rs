//! The toolchain lock, `rust-toolchain.lock.toml`: rust-toolchain.toml's channel manifest
//! (rustup's `channel-rust-*.toml`) pruned to what the project needs: cargo, rustc, the
//! listed components for the four host systems, the components of rust-toolchain.toml's
//! `profile` where the channel has them for a host (as rustup installs them), rust-std for
//! the hosts and the targets.
//!
//! It stays a channel manifest, so fenix reads it as is (`fenix.fromManifestFile`,
//! `fenix.targets.<triple>.fromManifestFile`, which read `date`,
//! `pkg.<name>.target.<triple or "*">.{available, url, hash}` and `profiles`): any channel
//! evaluates purely, with no import-from-derivation. A `[crossflake]` table records what it
//! was made from, so the flake and `--check` can tell when it is stale.
//!
//! - [`manifest`]: the channel manifest model, parsed, and component names resolved;
//! - [`channel_server`]: where manifests are published, downloading one, checking its sha256;
//! - [`prune`]: the lock built from a manifest for a request;
//! - [`update`]: when and how a lock is written or rewritten.

mod channel_server;
mod manifest;
mod prune;
mod update;

pub use update::{LOCK_FILE, LockRun, plan_update, recorded, run};
