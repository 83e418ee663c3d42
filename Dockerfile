# Multi-stage build of the slr binary. SQLite, libpq and OpenSSL are compiled in (bundled),
# so the runtime image needs nothing but libc.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p slr

FROM debian:bookworm-slim
RUN useradd --system --home-dir /var/lib/slr --create-home slr
COPY --from=build /src/target/release/slr /usr/local/bin/slr
USER slr
WORKDIR /var/lib/slr
# Two malloc arenas: the read model is shared by all threads, and glibc's default of one arena
# per thread mostly adds fragmentation (peak RSS at 100k tenants: 262 → 227 MB, bench/scale.sh).
ENV SLR_BIND=0.0.0.0:8080 \
    RUST_LOG=info \
    MALLOC_ARENA_MAX=2
EXPOSE 8080
ENTRYPOINT ["slr"]
CMD ["serve"]
