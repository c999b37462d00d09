//! The integration tests: the real server over HTTP against real stores (SQLite in a temporary
//! directory; a throwaway PostgreSQL server this binary starts itself).

mod helpers;
mod pg;
mod procedure;
