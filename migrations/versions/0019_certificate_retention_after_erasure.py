"""Whether an organisation keeps its people's certificates valid after their account is erased

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('keep_certificates_after_erasure', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_column('keep_certificates_after_erasure')
