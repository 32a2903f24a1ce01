//! The real AWS SDK for Rust against the local Data API on real PostgreSQL.

#[path = "../support/mod.rs"]
mod support;

mod limits;
mod rds;
mod redshift;
mod ssm_admin;
