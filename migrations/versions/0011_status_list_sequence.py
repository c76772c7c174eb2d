"""Status list entries from a sequence on PostgreSQL, so concurrent issuances never wait

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 04:10:00.000000

SQLite keeps the column default (the highest entry plus one): it has one writer at a time.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

SEQUENCE = "certificates_status_list_index_seq"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    # owned by the column: TRUNCATE ... RESTART IDENTITY starts it again from 0
    op.execute(f"CREATE SEQUENCE {SEQUENCE} MINVALUE 0 START 0 "
               "OWNED BY certificates.status_list_index")
    op.execute(f"SELECT setval('{SEQUENCE}', MAX(status_list_index)) FROM certificates "
               "HAVING MAX(status_list_index) IS NOT NULL")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP SEQUENCE {SEQUENCE}")
