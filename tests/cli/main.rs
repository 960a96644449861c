//! crossflake's integration tests: one binary, one module per area.

mod faulty_http;
mod support;

mod bad_input;
mod c_deps;
mod cache;
mod ci;
mod concurrency;
mod consistency;
mod dist;
mod doctor;
mod downloads;
mod e2e;
mod faults;
mod init;
mod kills;
mod lock;
mod oci;
mod oci_e2e;
mod sccache;
mod signals;
mod structure;
mod targets;
mod templates;
