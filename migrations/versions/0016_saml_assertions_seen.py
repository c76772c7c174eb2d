"""SAML sign-on: the assertions already used, so that none signs anyone in twice

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 07:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('saml_assertions_seen',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assertion_id', sa.String(length=255), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_saml_assertions_seen_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saml_assertions_seen')),
    sa.UniqueConstraint('assertion_id', name=op.f('uq_saml_assertions_seen_assertion_id'))
    )
    with op.batch_alter_table('saml_assertions_seen', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saml_assertions_seen_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_saml_assertions_seen_organisation_id'), ['organisation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('saml_assertions_seen', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saml_assertions_seen_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_saml_assertions_seen_expires_at'))
    op.drop_table('saml_assertions_seen')
