#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on 127.0.0.1; install (Debian) and start them when they don't.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }
pg_up() { (have pg_isready && pg_isready -q -h 127.0.0.1 -p 5432) || (echo > /dev/tcp/127.0.0.1/5432) 2>/dev/null; }
redis_up() { (have redis-cli && [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]); }

apt_install() {
  if have apt-get; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq "$@" >/dev/null
  else
    echo "ensure-services: cannot install $* (no apt-get); install it and re-run" >&2; exit 1
  fi
}

if ! pg_up; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then apt_install postgresql; fi
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { echo "ensure-services: PostgreSQL did not come up on 127.0.0.1:5432" >&2; exit 1; }
fi
if ! psql -h 127.0.0.1 -U postgres -tAc 'select 1' >/dev/null 2>&1; then
  # fresh Debian cluster: allow local trust auth for the test user
  conf=$(ls /etc/postgresql/*/main/pg_hba.conf | head -n1)
  sed -i 's/^\(host\s\+all\s\+all\s\+127.0.0.1\/32\s\+\).*/\1trust/' "$conf"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main reload || true
fi

if ! redis_up; then
  have redis-server || apt_install redis-server
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 30); do redis_up && break; sleep 1; done
  redis_up || { echo "ensure-services: Redis did not come up on 127.0.0.1:6379" >&2; exit 1; }
fi
echo "ensure-services: PostgreSQL and Redis are up"
