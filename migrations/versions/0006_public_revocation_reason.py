"""Certificates: the reason a revocation or suspension states publicly, apart from the internal note

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 20:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_reason', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_column('public_reason')
