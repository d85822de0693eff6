"""initial

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade():
    op.create_table(
        "merchants",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200)),
        sa.Column("password_hash", sa.String(32)),
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("merchant_id", sa.Integer()),
        sa.Column("amount_cents", sa.Integer()),
        sa.Column("currency", sa.String(3)),
    )


def downgrade():
    op.drop_table("payments")
    op.drop_table("merchants")
