//! The intervention procedure (`shared/spec/procedure.md` §3), one command at a time: for every
//! command of the Case aggregate, given a case history, when the command arrives, then the events
//! it records, or the typed error it is refused with.
//!
//! Histories come from `support` (made by running real commands); the story is a 9-year-old
//! girl in commune 03388 of Lai Châu, reported to hotline 111 on Monday 2 March 2026 at 09:00.

#[path = "../support/mod.rs"]
mod support;

mod assignment_and_transfer;
mod carrying_out;
mod closure;
mod common_checks;
mod detailed_assessment_and_needs;
mod identity;
mod initial_assessment;
mod intake;
mod notes_and_corrections;
mod plan;
mod review;
mod separation;
mod status_changes;
mod urgent_measures;
