//! XLSX rendering (issue 11, item 4): not written yet.

use super::build::Report;
use super::render::RenderError;

pub fn xlsx(_report: &Report) -> Result<Vec<u8>, RenderError> {
    Err(RenderError("XLSX is not available yet".into()))
}
