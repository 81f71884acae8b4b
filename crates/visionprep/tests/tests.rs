//! Integration tests of the visionprep library.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    unreachable_pub
)]

mod bodies;
mod codecs;
mod folder;
mod make;
mod prepare;
mod probe;
mod regression;
mod request;
mod session;
mod tiles;
