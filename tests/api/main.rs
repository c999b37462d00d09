//! The integration tests: the real server over HTTP against real stores (SQLite in a temporary
//! directory; a throwaway PostgreSQL server this binary starts itself).

mod access;
mod accounts;
mod adversarial;
mod bad_input;
mod concurrency;
mod disclosure;
mod faults;
mod grants;
mod helpers;
mod leaks;
mod matrix;
mod pg;
mod procedure;
mod service;
mod views;
