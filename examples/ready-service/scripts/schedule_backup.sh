#!/usr/bin/env bash
# Install (or replace) the scheduled Fly machine that runs scripts/backup.sh once a day.
#
# The backup runs on Fly, not on a GitHub runner, because the database is only reachable on
# Fly's private network (payments-db.flycast). It runs in its own app, payments-api-backup,
# whose secrets are set once by the payments team:
#   DATABASE_URL   a read-only role on payments-db
#   BACKUP_BUCKET  example-payments-backups
#   AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY  an IAM user that may only s3:PutObject there
# Run this after changing scripts/backup.sh or ops/backup/Dockerfile.
#
# Usage: scripts/schedule_backup.sh   (with FLY_API_TOKEN set, from the repository root)
set -euo pipefail

app="${BACKUP_APP:-payments-api-backup}"
region="${BACKUP_REGION:-ams}"

# One schedule only: remove the machines of the previous installation first.
for id in $(flyctl machine list --app "$app" --json | jq -r '.[].id'); do
  flyctl machine destroy --app "$app" --force "$id"
done

flyctl machine run . --app "$app" --region "$region" --dockerfile ops/backup/Dockerfile \
  --schedule daily --vm-memory 512
echo "backup machine scheduled daily in $app ($region)"
