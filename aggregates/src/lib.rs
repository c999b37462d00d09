//! casebook's domain: the child-protection intervention procedure (`shared/spec/procedure.md`)
//! as a cqrs-es aggregate, with who may do what and the legal clock.
//!
//! No IO: no database, no HTTP, no clock. "Now" arrives with each command; the rule table and the
//! holiday calendar arrive as data through [`case::CaseServices`].
#![forbid(unsafe_code)]

pub mod case;
pub mod codes;
pub mod deadlines;
pub mod identity;
pub mod policy;
pub mod text;
pub mod units;

pub use case::{Case, CaseCommand, CaseError, CaseEvent, CaseServices};
