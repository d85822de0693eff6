#!/usr/bin/env bash
# Daily logical backup of the payments database to S3.
#
# Runs once a day in a scheduled Fly machine next to the database (ops/backup/Dockerfile,
# installed by scripts/schedule_backup.sh), with a read-only DATABASE_URL and AWS credentials
# that may only write to the backup bucket. Retention (35 days) is the bucket's lifecycle
# rule, so this script never deletes anything.
#
# Usage: DATABASE_URL=postgresql://... BACKUP_BUCKET=example-payments-backups scripts/backup.sh
set -euo pipefail

: "${DATABASE_URL:?DATABASE_URL must point at the production database}"
: "${BACKUP_BUCKET:?BACKUP_BUCKET must name the S3 bucket for backups}"
prefix="${BACKUP_PREFIX:-payments-api}"

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT
dump="$workdir/payments-$stamp.dump"

# Custom format: compressed, and pg_restore can restore it table by table.
pg_dump --format=custom --no-owner --no-privileges --dbname="$DATABASE_URL" --file="$dump"

# A dump that pg_restore cannot list is corrupt: fail now, not on the day we need it.
pg_restore --list "$dump" > "$workdir/toc.txt"
grep -q "TABLE DATA public payments" "$workdir/toc.txt"

aws s3 cp --only-show-errors --sse aws:kms "$dump" "s3://$BACKUP_BUCKET/$prefix/payments-$stamp.dump"
echo "backup uploaded: s3://$BACKUP_BUCKET/$prefix/payments-$stamp.dump ($(wc -c < "$dump") bytes)"
