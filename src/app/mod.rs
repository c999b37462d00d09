//! The application layer: the use cases both adapters (the JSON API under `/api/v1` and the
//! staff console at `/`) call. Authorization, the access-log rows written before a case is
//! shown, read-your-writes and report intake live here once; the adapters only translate
//! requests and answers.

pub mod cases;
pub mod children;
pub mod dossier;
pub mod inbox;
pub mod intake;
pub mod lists;
pub mod reports;
pub mod statistics;

pub use crate::http::errors::ApiError as AppError;
