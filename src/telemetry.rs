//! Logging: `tracing` with JSON lines in production and pretty lines locally. Every line
//! of a request carries its request id (and tenant id once known) through the request span.

use crate::config::{LogFormat, LogSettings};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Installs the global subscriber writing to stdout. Call once, from `main`.
pub fn init(settings: &LogSettings) {
    init_with_writer(settings, std::io::stdout);
}

/// Installs the global subscriber with any writer (tests capture logs this way). A second
/// call is ignored.
pub fn init_with_writer<W>(settings: &LogSettings, writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_new(&settings.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_target(true);
    let _ = match settings.format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Pretty => builder.with_ansi(false).try_init(),
    };
}
