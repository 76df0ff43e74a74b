# PostgreSQL from Debian, started as the official `postgres` image starts it: a new data
# directory is made for POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB, and the server
# listens on every address with password authentication.
FROM ironloom-test/debian:bookworm-slim
RUN apt-get update -q && apt-get install -y -q --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/*
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
EXPOSE 5432
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["postgres"]
