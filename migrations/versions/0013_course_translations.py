"""Course content in several languages: translated text per course version, and the language
a learner reads course content in

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 06:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'version_translations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('locale', sa.String(length=8), nullable=False),
        sa.Column('part', sa.String(length=16), nullable=False),
        sa.Column('ref', sa.String(length=210), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['version_id'], ['course_versions.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('version_id', 'locale', 'part', 'ref'),
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_locale', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('content_locale')
    op.drop_table('version_translations')
