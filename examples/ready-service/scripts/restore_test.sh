#!/usr/bin/env bash
# Restore test: restore the newest backup into a scratch database and verify it.
#
# A backup that has never been restored is a theory. .github/workflows/restore-test.yml runs
# this every day against a throwaway PostgreSQL container, so a missing or broken backup is
# found within a day; a failed run notifies the payments on-call.
#
# Checks, in order: the newest dump is younger than MAX_BACKUP_AGE_HOURS; pg_restore succeeds
# with --exit-on-error; the schema is at an Alembic revision; the payments table has rows and
# its newest row is younger than MAX_BACKUP_AGE_HOURS + 24h.
#
# Usage: BACKUP_BUCKET=example-payments-backups \
#        SCRATCH_DATABASE_URL=postgresql://postgres@localhost:5432/postgres scripts/restore_test.sh
set -euo pipefail

: "${BACKUP_BUCKET:?BACKUP_BUCKET must name the S3 bucket holding backups}"
: "${SCRATCH_DATABASE_URL:?SCRATCH_DATABASE_URL must point at a throwaway PostgreSQL server}"
prefix="${BACKUP_PREFIX:-payments-api}"
max_age_hours="${MAX_BACKUP_AGE_HOURS:-26}"

workdir="$(mktemp -d)"
scratch_db="restore_test_$(date -u +%Y%m%d%H%M%S)"
server_url="${SCRATCH_DATABASE_URL%/*}"
cleanup() {
  psql "$SCRATCH_DATABASE_URL" -q -c "DROP DATABASE IF EXISTS $scratch_db" || true
  rm -rf "$workdir"
}
trap cleanup EXIT

# Newest backup (names sort by their UTC timestamp).
latest="$(aws s3 ls "s3://$BACKUP_BUCKET/$prefix/" | awk '{print $4}' | grep '^payments-.*\.dump$' | sort | tail -n 1)"
if [[ -z "$latest" ]]; then
  echo "restore test FAILED: no backup found in s3://$BACKUP_BUCKET/$prefix/" >&2
  exit 1
fi
stamp="${latest#payments-}"; stamp="${stamp%.dump}"
taken="$(date -u -d "${stamp:0:4}-${stamp:4:2}-${stamp:6:2}T${stamp:9:2}:${stamp:11:2}:${stamp:13:2}Z" +%s)"
age_hours=$(( ($(date -u +%s) - taken) / 3600 ))
if (( age_hours > max_age_hours )); then
  echo "restore test FAILED: newest backup $latest is ${age_hours}h old (limit ${max_age_hours}h)" >&2
  exit 1
fi

aws s3 cp --only-show-errors "s3://$BACKUP_BUCKET/$prefix/$latest" "$workdir/latest.dump"

psql "$SCRATCH_DATABASE_URL" -v ON_ERROR_STOP=1 -q -c "CREATE DATABASE $scratch_db"
pg_restore --exit-on-error --no-owner --no-privileges --dbname="$server_url/$scratch_db" "$workdir/latest.dump"

query() { psql "$server_url/$scratch_db" -v ON_ERROR_STOP=1 -At -c "$1"; }

revision="$(query "SELECT version_num FROM alembic_version")"
payments="$(query "SELECT count(*) FROM payments")"
newest_age_hours="$(query "SELECT coalesce(floor(extract(epoch FROM now() - max(created_at)) / 3600), 999999) FROM payments")"

if [[ -z "$revision" ]]; then
  echo "restore test FAILED: restored database has no Alembic revision" >&2
  exit 1
fi
if (( payments == 0 )); then
  echo "restore test FAILED: restored payments table is empty" >&2
  exit 1
fi
if (( newest_age_hours > max_age_hours + 24 )); then
  echo "restore test FAILED: newest restored payment is ${newest_age_hours}h old" >&2
  exit 1
fi
echo "restore test passed: $latest (${age_hours}h old), revision $revision, $payments payments"
