"""Follow mode: one row per presenting room (geo/workspace/follow.py).

Revision ID: 0002_follow_sessions
Revises: 0001_initial
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_follow_sessions"
down_revision: str | Sequence[str] | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "follow_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_code", sa.String(length=6), nullable=False),
        sa.Column("presenter_id", sa.Integer(), nullable=False),
        sa.Column("scenario", sa.String(length=80), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("view", sa.String(length=20), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("sequence >= 1", name=op.f("ck_follow_sessions_sequence")),
        sa.ForeignKeyConstraint(["presenter_id"], ["users.id"],
                                name=op.f("fk_follow_sessions_presenter_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_sessions")),
        sa.UniqueConstraint("room_code", name=op.f("uq_follow_sessions_room_code")),
    )


def downgrade() -> None:
    op.drop_table("follow_sessions")
