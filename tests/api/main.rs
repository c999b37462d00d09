//! The integration tests: the real server over HTTP against real stores (SQLite in a temporary
//! directory; a throwaway PostgreSQL server this binary starts itself).

mod access;
mod accounts;
mod activity;
mod adversarial;
mod bad_input;
mod children;
mod clock;
mod concurrency;
mod console;
mod console_routes;
mod console_walk;
mod disclosure;
mod document;
mod document_plan;
mod faults;
mod gaps;
mod grants;
mod helpers;
mod indicators;
mod issued_reports;
mod leaks;
mod matrix;
mod pg;
mod procedure;
mod projectors;
mod reports;
mod routes;
mod second_reading;
mod second_reading_hotline;
mod service;
mod statistics;
mod views;
mod walk_cases;
mod walker;
mod walks;
