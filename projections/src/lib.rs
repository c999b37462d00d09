//! casebook's read side: read models over the event log and the projector that keeps them.
#![forbid(unsafe_code)]
