//! Prometheus metrics of one app instance (a registry per instance, so several apps in
//! one test process do not mix their numbers).

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

/// The instance's metrics.
pub struct Metrics {
    registry: Registry,
    /// Requests by route pattern, method and status.
    pub http_requests: IntCounterVec,
    /// Request latency by route pattern and method.
    pub http_duration: HistogramVec,
    /// Jobs by status (refreshed at scrape time).
    pub jobs_by_status: IntGaugeVec,
    /// Jobs in `dead` (refreshed at scrape time).
    pub jobs_dead: IntGauge,
    /// Job runs by kind and outcome (`done`, `retry`, `dead`).
    pub job_runs: IntCounterVec,
    /// Sweep runs by sweep and outcome (`ok`, `failed`).
    pub sweep_runs: IntCounterVec,
    /// Days from today to the working-day calendar's last covered date.
    pub calendar_coverage_days: IntGauge,
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Self {
        let registry = Registry::new();
        let http_requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by route, method and status",
            ),
            &["route", "method", "status"],
        )
        .expect("valid metric");
        let http_duration = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency").buckets(
                vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ],
            ),
            &["route", "method"],
        )
        .expect("valid metric");
        let jobs_by_status = IntGaugeVec::new(
            Opts::new("jobs", "Jobs in the queue by status"),
            &["status"],
        )
        .expect("valid metric");
        let jobs_dead =
            IntGauge::new("jobs_dead", "Jobs that exhausted their attempts").expect("valid metric");
        let job_runs = IntCounterVec::new(
            Opts::new("job_runs_total", "Job runs by kind and outcome"),
            &["kind", "outcome"],
        )
        .expect("valid metric");
        let sweep_runs = IntCounterVec::new(
            Opts::new(
                "scheduler_sweep_runs_total",
                "Scheduler sweep runs by outcome",
            ),
            &["sweep", "outcome"],
        )
        .expect("valid metric");
        let calendar_coverage_days = IntGauge::new(
            "calendar_coverage_days",
            "Days left until the working-day calendar's last covered date",
        )
        .expect("valid metric");
        for collector in [
            Box::new(http_requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(calendar_coverage_days.clone()),
            Box::new(http_duration.clone()),
            Box::new(jobs_by_status.clone()),
            Box::new(jobs_dead.clone()),
            Box::new(job_runs.clone()),
            Box::new(sweep_runs.clone()),
        ] {
            registry.register(collector).expect("unique metric names");
        }
        Self {
            registry,
            http_requests,
            http_duration,
            jobs_by_status,
            jobs_dead,
            job_runs,
            sweep_runs,
            calendar_coverage_days,
        }
    }

    /// Registers a metric that a later module owns.
    pub fn register(&self, collector: Box<dyn prometheus::core::Collector>) {
        self.registry
            .register(collector)
            .expect("unique metric names");
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buf)
            .expect("text encoding cannot fail");
        String::from_utf8(buf).expect("prometheus text is UTF-8")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
