"""merge live data, members and reports, broadcasts into one head

Revision ID: 0006
Revises: 0003, 0004, 0005
Create Date: 2026-11-25
"""
from __future__ import annotations

revision = "0006"
down_revision = ("0003", "0004", "0005")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
