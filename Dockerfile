# balancebot: a static, pure-Go binary (SQLite included) on a distroless base.
#   docker build -t balancebot .
#   docker run -d --name balancebot --env-file balancebot.env -v balancebot-data:/data -p 8080:8080 balancebot
# The same build works outside Docker:
#   CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o balancebot ./cmd/balancebot

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/balancebot ./cmd/balancebot \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/balancebot /usr/local/bin/balancebot
# The data directory belongs to the non-root user, so a new volume does too.
COPY --from=build --chown=65532:65532 /out/data /data
ENV BALANCEBOT_DATA_DIR=/data \
    BALANCEBOT_HEALTH_ADDR=:8080
VOLUME ["/data"]
EXPOSE 8080
USER nonroot:nonroot
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/balancebot", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/balancebot"]
CMD ["run"]
