//! Structured logs with tracing. Personal data never goes into a log line: handlers log ids,
//! codes and counts, never names, descriptions or query strings.

use crate::config::{LogFormat, Settings};
use tracing_subscriber::{fmt, EnvFilter};

/// Installs the global subscriber; a second call (tests) is a no-op.
pub fn init(settings: &Settings) -> Result<(), String> {
    let filter = EnvFilter::try_new(&settings.log)
        .map_err(|e| format!("CASEBOOK_LOG `{}` is not a valid filter: {e}", settings.log))?;
    let colours = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colours);
    let result = match settings.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
    };
    // Already installed (several apps in one test process): keep the first.
    let _ = result;
    Ok(())
}
