"""Capstones: submissions scored against a rubric, their files, exercise time on lessons

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 01:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'capstone_submissions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('attempt', sa.Integer(), nullable=False),
        sa.Column('text_md', sa.Text(), nullable=False),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('claimed_by_id', sa.Integer(), nullable=True),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('graded_by_id', sa.Integer(), nullable=True),
        sa.Column('graded_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('scores', sa.JSON(), nullable=True),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=True),
        sa.Column('max_total', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['version_id'], ['course_versions.id']),
        sa.ForeignKeyConstraint(['claimed_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['graded_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'course_id', 'attempt'),
    )
    with op.batch_alter_table('capstone_submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_capstone_submissions_user_id'), ['user_id'])
        batch_op.create_index(batch_op.f('ix_capstone_submissions_submitted_at'), ['submitted_at'])
        batch_op.create_index(batch_op.f('ix_capstone_submissions_status'), ['status'])
    op.create_table(
        'capstone_files',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('submission_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['submission_id'], ['capstone_submissions.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('capstone_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_capstone_files_submission_id'), ['submission_id'])
    with op.batch_alter_table('course_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('capstone', sa.JSON(), nullable=True))
    with op.batch_alter_table('version_lessons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('exercise_minutes', sa.Integer(), nullable=False,
                                      server_default='0'))
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('capstone_assessed', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_column('capstone_assessed')
    with op.batch_alter_table('version_lessons', schema=None) as batch_op:
        batch_op.drop_column('exercise_minutes')
    with op.batch_alter_table('course_versions', schema=None) as batch_op:
        batch_op.drop_column('capstone')
    op.drop_table('capstone_files')
    op.drop_table('capstone_submissions')
