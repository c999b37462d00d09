//! casebook's read side: the case document folded from events, the read models over the event
//! log, and the projector that keeps them (catch-up, checkpoints, rebuild).
#![forbid(unsafe_code)]

pub mod db;
pub mod indicators;
pub mod log;
pub mod matcher;
pub mod notifier;
pub mod projector;
pub mod record;
pub mod sql;
pub mod views;

pub use db::Db;
