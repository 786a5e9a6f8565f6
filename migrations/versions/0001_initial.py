"""Initial schema: users, scenarios and their immutable versions.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_initial"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=40), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("steering_group", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('viewer', 'planner', 'analyst', 'admin')",
                           name=op.f("ck_users_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "scenarios",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("visibility", sa.String(length=10), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("visibility IN ('draft', 'group', 'public')",
                           name=op.f("ck_scenarios_visibility")),
        sa.CheckConstraint("current_version >= 1", name=op.f("ck_scenarios_current_version")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"],
                                name=op.f("fk_scenarios_author_id_users")),
        sa.ForeignKeyConstraint(["deleted_by_id"], ["users.id"],
                                name=op.f("fk_scenarios_deleted_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenarios")),
        sa.UniqueConstraint("slug", name=op.f("uq_scenarios_slug")),
    )
    op.create_index(op.f("ix_scenarios_author_id"), "scenarios", ["author_id"], unique=False)
    op.create_table(
        "scenario_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_scenario_versions_version")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"],
                                name=op.f("fk_scenario_versions_author_id_users")),
        sa.ForeignKeyConstraint(["scenario_id"], ["scenarios.id"],
                                name=op.f("fk_scenario_versions_scenario_id_scenarios")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenario_versions")),
        sa.UniqueConstraint("scenario_id", "version",
                            name=op.f("uq_scenario_versions_scenario_id")),
    )
    op.create_index(op.f("ix_scenario_versions_scenario_id"), "scenario_versions",
                    ["scenario_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_scenario_versions_scenario_id"), table_name="scenario_versions")
    op.drop_table("scenario_versions")
    op.drop_index(op.f("ix_scenarios_author_id"), table_name="scenarios")
    op.drop_table("scenarios")
    op.drop_table("users")
