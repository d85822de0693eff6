#!/usr/bin/env bash
# Roll production back to a previous release (docs/runbooks/bad-deploy.md).
#
# Usage:
#   scripts/rollback.sh IMAGE [ALEMBIC_REVISION]
#     IMAGE             the image of the last good release; list releases with
#                       `flyctl releases --app payments-api --image`
#     ALEMBIC_REVISION  only if the bad release ran a migration: the revision the good
#                       release expects (e.g. 0001). The schema is downgraded first, while
#                       the bad release still runs, because old code cannot run on a new schema
#                       that dropped or renamed something it needs.
#
# Run by .github/workflows/rollback.yml (workflow_dispatch), or by hand with FLY_API_TOKEN set.
set -euo pipefail

app="${FLY_APP:-payments-api}"
image="${1:?usage: scripts/rollback.sh IMAGE [ALEMBIC_REVISION]}"
revision="${2:-}"

if [[ -n "$revision" ]]; then
  echo "downgrading the schema to $revision"
  flyctl ssh console --app "$app" --command "alembic downgrade $revision"
fi

echo "deploying $image to $app"
# --strategy immediate: every machine switches at once; a bad release is worse than a restart.
flyctl deploy --app "$app" --image "$image" --strategy immediate --wait-timeout 300

status="$(curl --fail --silent --show-error --max-time 10 "https://$app.fly.dev/healthz")"
echo "health after rollback: $status"
