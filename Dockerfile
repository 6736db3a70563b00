# syntax=docker/dockerfile:1
# Multi-stage build: compile in the Rust image, run on a slim Debian as a non-root user.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin weapp-builder

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data weapp \
    && mkdir -p /data && chown weapp /data
COPY --from=build /src/target/release/weapp-builder /usr/local/bin/weapp-builder
COPY --from=build /src/page-templates /app/page-templates
WORKDIR /app
USER weapp
ENV WEAPP__SERVER__BIND=0.0.0.0:8080 \
    WEAPP__STORAGE__DATA_DIR=/data \
    WEAPP__LOG__FORMAT=json
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/health/live || exit 1
ENTRYPOINT ["/usr/local/bin/weapp-builder"]
CMD ["serve"]
