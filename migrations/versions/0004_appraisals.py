"""Appraisals kept in the store: set-up, scores, seats and a record of declaration changes
(geo/workspace/appraisals.py).

Revision ID: 0004_appraisals
Revises: 0003_security
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_appraisals"
down_revision: str | Sequence[str] | None = "0003_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "appraisals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("join_code", sa.String(length=6), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("facilitator_id", sa.Integer(), nullable=False),
        sa.Column("visibility", sa.String(length=10), nullable=False),
        sa.Column("setup", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["facilitator_id"], ["users.id"], name=op.f("fk_appraisals_facilitator_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisals")),
        sa.UniqueConstraint("slug", name=op.f("uq_appraisals_slug")),
        sa.UniqueConstraint("join_code", name=op.f("uq_appraisals_join_code")),
    )
    op.create_index(op.f("ix_appraisals_facilitator_id"), "appraisals", ["facilitator_id"])
    op.create_table(
        "appraisal_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appraisal_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.String(length=80), nullable=False),
        sa.Column("option_id", sa.String(length=80), nullable=False),
        sa.Column("criterion_key", sa.String(length=40), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["appraisal_id"], ["appraisals.id"],
                                name=op.f("fk_appraisal_scores_appraisal_id_appraisals")),
        sa.ForeignKeyConstraint(["entered_by_id"], ["users.id"], name=op.f("fk_appraisal_scores_entered_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal_scores")),
        sa.UniqueConstraint("appraisal_id", "participant_id", "option_id", "criterion_key",
                            name=op.f("uq_appraisal_scores_appraisal_id")),
    )
    op.create_index(op.f("ix_appraisal_scores_appraisal_id"), "appraisal_scores", ["appraisal_id"])
    op.create_table(
        "appraisal_seats",
        sa.Column("appraisal_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.String(length=80), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["appraisal_id"], ["appraisals.id"],
                                name=op.f("fk_appraisal_seats_appraisal_id_appraisals")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_appraisal_seats_user_id_users")),
        sa.PrimaryKeyConstraint("appraisal_id", "participant_id", name=op.f("pk_appraisal_seats")),
        sa.UniqueConstraint("appraisal_id", "user_id", name=op.f("uq_appraisal_seats_appraisal_id")),
    )
    op.create_table(
        "appraisal_declarations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appraisal_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.String(length=80), nullable=False),
        sa.Column("services_before", sa.String(length=2000), nullable=False),
        sa.Column("services_after", sa.String(length=2000), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["appraisal_id"], ["appraisals.id"],
                                name=op.f("fk_appraisal_declarations_appraisal_id_appraisals")),
        sa.ForeignKeyConstraint(["changed_by_id"], ["users.id"],
                                name=op.f("fk_appraisal_declarations_changed_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal_declarations")),
    )
    op.create_index(op.f("ix_appraisal_declarations_appraisal_id"), "appraisal_declarations", ["appraisal_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_appraisal_declarations_appraisal_id"), table_name="appraisal_declarations")
    op.drop_table("appraisal_declarations")
    op.drop_table("appraisal_seats")
    op.drop_index(op.f("ix_appraisal_scores_appraisal_id"), table_name="appraisal_scores")
    op.drop_table("appraisal_scores")
    op.drop_index(op.f("ix_appraisals_facilitator_id"), table_name="appraisals")
    op.drop_table("appraisals")
