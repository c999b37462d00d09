//! casebook: case management for child protection in Vietnam. The server: configuration, the
//! HTTP API, authentication, the stores and the command line.
#![forbid(unsafe_code)]

pub mod app;
pub mod auth;
pub mod case_cache;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod demo;
pub mod dossier;
pub mod http;
pub mod metrics;
pub mod notify;
pub mod reports;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod testing;
pub mod units;
pub mod web;
