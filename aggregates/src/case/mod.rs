//! The Case aggregate (*hồ sơ trẻ em*): one child in one episode, from the report to closure.

pub mod aggregate;
pub mod business_time;
mod clocks;
pub mod commands;
pub mod corrections;
mod decide;
pub mod errors;
pub mod events;

pub use aggregate::{Case, CaseServices, PlanRecord, PlanStatus, Recorded, SeparationRecord};
pub use business_time::{age_on, CLOCK_SKEW};
pub use commands::*;
pub use errors::{CaseError, ErrorKind};
pub use events::*;
