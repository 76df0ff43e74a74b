#!/usr/bin/env bash
# Writes what docker-compose.yml needs and must not be in version control, once:
#   .env          the PostgreSQL and platform administrator passwords
#   secrets/      the token signing key (the same on every node), the object store's secret
#                 key, and SeaweedFS's identities file holding it
# An existing file is kept, so running it again changes nothing.
set -euo pipefail
cd "$(dirname "$0")"
umask 077
rand() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
if [ ! -f .env ]; then
  {
    echo "IRONLOOM_PG_PASSWORD=$(rand 16)"
    # The platform administrator 'admin' (user name) gets this password on first start.
    echo "IRONLOOM_ADMIN_PASSWORD=Admin-$(rand 8)"
  } > .env
  echo "wrote .env (the administrator's password is IRONLOOM_ADMIN_PASSWORD there)"
fi
mkdir -p secrets
[ -f secrets/token.key ] || rand 32 > secrets/token.key
if [ ! -f secrets/s3.secret ]; then
  rand 20 > secrets/s3.secret
  printf '{"identities":[{"name":"ironloom","credentials":[{"accessKey":"ironloom","secretKey":"%s"}],"actions":["Admin","Read","Write","List","Tagging"]}]}\n' \
    "$(cat secrets/s3.secret)" > secrets/s3.json
fi
# The containers run as their own users: the files must be readable by them.
chmod 644 secrets/*
echo "secrets in $(pwd)/secrets"
