"""Certificate design: the achievement line and the signatory of a course version

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-12 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('course_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('achievement', sa.Text(), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('signatory', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('course_versions', schema=None) as batch_op:
        batch_op.drop_column('signatory')
        batch_op.drop_column('achievement')
