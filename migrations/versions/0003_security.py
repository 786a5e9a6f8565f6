"""Security: sessions that can be ended, sign-in throttling, disabled accounts, co-editors, a record of
changes, one published version per scenario, and per-user running jobs.

Existing stores upgrade without loss: a public scenario keeps its newest version public
(`published_version`) and its earlier versions become confidential to the steering group,
as they would be had it been published under the new rule.

Revision ID: 0003_security
Revises: 0002_follow_sessions
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_security"
down_revision: str | Sequence[str] | None = "0002_follow_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs: SQLite could add the checks below only by rebuilding the table, which the
    # versions' foreign keys forbid while they are enforced; there the store's code keeps the rules.
    op.add_column("users", sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("scenarios", sa.Column("audience", sa.String(length=10), nullable=False, server_default="draft"))
    op.add_column("scenarios", sa.Column("published_version", sa.Integer(), nullable=True))
    op.execute("UPDATE scenarios SET audience = CASE WHEN visibility = 'public' THEN 'group' ELSE visibility END, "
               "published_version = CASE WHEN visibility = 'public' THEN current_version ELSE NULL END")
    if op.get_bind().dialect.name != "sqlite":
        op.create_check_constraint(op.f("ck_scenarios_audience"), "scenarios", "audience IN ('draft', 'group')")
        op.create_check_constraint(op.f("ck_scenarios_published_version"), "scenarios",
                                   "(visibility = 'public') = (published_version IS NOT NULL)")
    op.create_table(
        "scenario_editors",
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["scenario_id"], ["scenarios.id"],
                                name=op.f("fk_scenario_editors_scenario_id_scenarios")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_scenario_editors_user_id_users")),
        sa.PrimaryKeyConstraint("scenario_id", "user_id", name=op.f("pk_scenario_editors")),
    )
    op.create_table(
        "scenario_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.String(length=400), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["scenario_id"], ["scenarios.id"],
                                name=op.f("fk_scenario_events_scenario_id_scenarios")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_scenario_events_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenario_events")),
    )
    op.create_index(op.f("ix_scenario_events_scenario_id"), "scenario_events", ["scenario_id"], unique=False)
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_sessions_token_hash")),
    )
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id"], unique=False)
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failures")),
    )
    op.create_index(op.f("ix_sign_in_failures_key_hash"), "sign_in_failures", ["key_hash"], unique=False)
    op.create_table(
        "running_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=200), nullable=False),
        sa.Column("handle", sa.String(length=100), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_running_jobs_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_running_jobs")),
        sa.UniqueConstraint("job", name=op.f("uq_running_jobs_job")),
    )
    op.create_index(op.f("ix_running_jobs_user_id"), "running_jobs", ["user_id"], unique=False)


def downgrade() -> None:
    for table in ("running_jobs", "sign_in_failures", "user_sessions", "scenario_events", "scenario_editors"):
        op.drop_table(table)
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_scenarios_published_version"), "scenarios", type_="check")
        op.drop_constraint(op.f("ck_scenarios_audience"), "scenarios", type_="check")
    op.drop_column("scenarios", "published_version")
    op.drop_column("scenarios", "audience")
    op.drop_column("users", "disabled_at")
