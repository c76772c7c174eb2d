"""Certificates: each one's entry in the public status lists (W3C Bitstring Status List)

Existing certificates get the entries 0, 1, 2, ... in the order they were issued (by id).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_list_index', sa.Integer(), nullable=True))
    # ROW_NUMBER in one statement (PostgreSQL, SQLite 3.33 and later)
    op.execute(
        "UPDATE certificates SET status_list_index = numbered.position "
        "FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS position FROM certificates) "
        "AS numbered WHERE numbered.id = certificates.id")
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.alter_column('status_list_index', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_certificates_status_list_index'),
                                          ['status_list_index'])
        batch_op.create_index('ix_certificates_status_list', ['status', 'status_list_index'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index('ix_certificates_status_list')
        batch_op.drop_constraint(batch_op.f('uq_certificates_status_list_index'), type_='unique')
        batch_op.drop_column('status_list_index')
