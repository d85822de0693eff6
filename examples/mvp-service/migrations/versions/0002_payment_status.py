"""add payment status, drop old currency rows

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade():
    op.add_column("payments", sa.Column("status", sa.String(20)))
    op.execute("DELETE FROM payments WHERE currency NOT IN ('EUR', 'USD')")


def downgrade():
    pass
