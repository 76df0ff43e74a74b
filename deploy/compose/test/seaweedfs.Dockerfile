# weed as in the official `chrislusf/seaweedfs` image: `server ARGS…` runs
# `weed server -dir=/data ARGS…`.
FROM ironloom-test/debian:bookworm-slim
COPY weed /usr/bin/weed
COPY seaweedfs-entrypoint.sh /entrypoint.sh
RUN mkdir -p /data
EXPOSE 8333 9333 8080 8888
ENTRYPOINT ["/entrypoint.sh"]
