"""Course maintainers: the trainers who may edit a course in the studio

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 20:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('course_maintainers',
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_course_maintainers_added_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_maintainers_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_course_maintainers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('course_id', 'user_id', name=op.f('pk_course_maintainers'))
    )
    with op.batch_alter_table('course_maintainers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_maintainers_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('course_maintainers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_maintainers_user_id'))
    op.drop_table('course_maintainers')
