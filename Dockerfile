# Madaf as a container image: a static binary on distroless, run as a
# non-root user. Build with `docker build -t madaf .`; run with the
# configuration in the environment (README "Running in production"), e.g.
#   docker run --env-file /etc/madaf/env -p 8080:8080 --stop-timeout 30 madaf

# Build: a static binary (no cgo), with the time-zone database inside so
# that Asia/Jerusalem is right whatever the image carries.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -tags timetzdata -ldflags="-s -w" -o /out/madaf ./cmd/madaf

# Run: distroless static has CA certificates (for sslmode=verify-full and
# smtps://) and a nonroot user (65532), but no shell and no curl, hence the
# binary's own health check.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/madaf /usr/local/bin/madaf
ENV MADAF_ADDR=:8080
EXPOSE 8080
USER nonroot:nonroot
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["/usr/local/bin/madaf", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/madaf"]
CMD ["serve"]
