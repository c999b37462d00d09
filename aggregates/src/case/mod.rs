//! The Case aggregate (*hồ sơ trẻ em*): one child in one episode, from the report to closure.

pub mod aggregate;
pub mod commands;
pub mod corrections;
mod decide;
pub mod errors;
pub mod events;

pub use aggregate::{Case, CaseServices, PlanRecord, PlanStatus, Recorded, SeparationRecord};
pub use commands::*;
pub use decide::{age_on, CLOCK_SKEW};
pub use errors::{CaseError, ErrorKind};
pub use events::*;
