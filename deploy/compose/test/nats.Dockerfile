# nats-server as in the official `nats` image: the binary is the entry point.
FROM ironloom-test/debian:bookworm-slim
COPY nats-server /nats-server
EXPOSE 4222 6222 8222
ENTRYPOINT ["/nats-server"]
