"""Certificates: an administrator's explicit permission to recertify after a revocation

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 20:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recertification_allowed_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('recertification_allowed_by_id', sa.Integer(),
                                      nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_certificates_recertification_allowed_by_id_users'), 'users',
            ['recertification_allowed_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_certificates_recertification_allowed_by_id_users'), type_='foreignkey')
        batch_op.drop_column('recertification_allowed_by_id')
        batch_op.drop_column('recertification_allowed_at')
