//! The rognito server: configuration (flags, `ROGNITO_*` environment, TOML file), the HTTP
//! router and its layers, startup checks and graceful shutdown.

pub mod admin;
pub mod config;
mod data_dir;
mod http;
mod listener;
pub(crate) mod master_key;
pub mod migrate;
pub mod server;
