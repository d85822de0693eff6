"""Add payments.status (accepted, rejected, pending_review).

Revision ID: 0002
Revises: 0001
Create Date: 2026-10-14

Existing rows were all accepted, hence the server default. batch_alter_table keeps the
migration runnable on SQLite (tests) as well as PostgreSQL (production).
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("status", sa.String(20), nullable=False, server_default="accepted"))


def downgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("status")
