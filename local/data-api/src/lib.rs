//! A local stand-in for AWS's redshift-data, rds-data and SSM APIs, speaking their real wire protocols
//! over one loopback HTTP port and running the SQL on real PostgreSQL.
//!
//! Start it in-process with [`Server::start`] on a [`Postgres`] (an existing server, or a
//! [`Cluster`] this crate runs: throwaway, or kept in a directory across runs).

mod admin;
pub mod cluster;
mod columns;
pub mod config;
pub mod db;
mod error;
mod fault_injection;
mod lock;
mod rds;
mod redshift;
mod server;
pub mod signature;
mod sql;
mod ssm;
mod values;

pub use cluster::{Cluster, ClusterError, TempCluster};
pub use config::Config;
pub use db::Postgres;
pub use server::{Server, StartError, sdk_env};
pub use signature::AccessKey;
