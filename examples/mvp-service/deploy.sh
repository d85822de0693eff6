#!/bin/sh
# Deploy from my laptop: copy the code to the server and restart it.
rsync -az --exclude .git ./ deploy@203.0.113.10:/srv/payments/
ssh deploy@203.0.113.10 'cd /srv/payments && pip install -r requirements.txt && alembic upgrade head && sudo systemctl restart payments'
