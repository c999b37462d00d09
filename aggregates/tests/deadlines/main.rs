//! The legal clock (procedure.md §4), through the aggregate: the deadlines each step starts,
//! meets and cancels, their due times in Asia/Ho_Chi_Minh working days, and their states.
//!
//! Clocks run on business time; periods in hours run from the exact instant; periods in days
//! follow the Civil Code 2015 art. 147–148 (the trigger day does not count, the period ends at
//! 24:00 of its last day, which is a working day). 2026 is confirmed in the shipped calendar,
//! 2027 provisional, 2028 missing.

#[path = "../support/mod.rs"]
mod support;

mod due_times;
mod rule_table;
mod states;
