"""The per-request history read answered from one covering index, newest first.

Replaces `ix_events_user_time` (tenant, user, time), which made every read look up each
row in the table and sort ties by id, with `ix_events_user_history`.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS: list[str | sa.TextClause] = [
    "tenant_id",
    "user_id",
    sa.text("timestamp DESC"),
    "id",
    "item_id",
    "type",
    "value",
]


def upgrade() -> None:
    with op.batch_alter_table("events") as batch_op:
        batch_op.drop_index("ix_events_user_time")
    op.create_index("ix_events_user_history", "events", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_events_user_history", table_name="events")
    with op.batch_alter_table("events") as batch_op:
        batch_op.create_index("ix_events_user_time", ["tenant_id", "user_id", "timestamp"])
