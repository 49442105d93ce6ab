//! rognito's one integration-test binary (one binary links once; see kanidm's note on why).
//! Every test boots the real `rognito` executable on 127.0.0.1:0 and talks to it with the AWS
//! SDK for Rust or raw HTTP.

// Test code: a failed expectation is a failed test (clippy.toml allows this in #[test] functions;
// the helpers around them need it too).
#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used
)]

mod auth;
mod durability;
mod feed;
mod harness;
mod limits;
mod m2m;
mod migrate;
mod protocol;
mod resource_servers;
mod safety;
mod secrets;
mod user_pools;
