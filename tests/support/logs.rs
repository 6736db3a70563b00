//! Captures every log line of the test process (debug level, JSON) in memory, so tests can
//! prove that secrets never reach the logs.

use std::io::Write;
use std::sync::{Mutex, Once};
use tracing_subscriber::fmt::MakeWriter;
use weapp_builder::config::{LogFormat, LogSettings};

static CAPTURED: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// Installs the capturing subscriber once per process.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let settings = LogSettings {
            format: LogFormat::Json,
            level: "debug,h2=info,hyper=info,hyper_util=info,reqwest=info,rustls=info,actix_server=info,actix_http=info,sqlx=info,sea_orm=info,sea_orm_migration=warn".into(),
            access_log: true,
        };
        weapp_builder::telemetry::init_with_writer(&settings, CaptureWriter);
    });
}

/// Everything logged so far.
pub fn captured() -> String {
    String::from_utf8_lossy(&CAPTURED.lock().unwrap()).into_owned()
}

#[derive(Clone, Copy)]
struct CaptureWriter;

impl Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURED.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for CaptureWriter {
    type Writer = CaptureWriter;
    fn make_writer(&'a self) -> Self::Writer {
        *self
    }
}
