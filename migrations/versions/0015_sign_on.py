"""Sign-on: an organisation's connection to its identity provider and its email domains

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_on_connections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('protocol', sa.String(length=8), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('password_login', sa.Boolean(), nullable=False),
    sa.Column('oidc_issuer', sa.String(length=255), nullable=True),
    sa.Column('oidc_client_id', sa.String(length=255), nullable=True),
    sa.Column('oidc_client_secret', sa.Text(), nullable=True),
    sa.Column('saml_idp_metadata', sa.Text(), nullable=True),
    sa.Column('saml_idp_metadata_url', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_sign_on_connections_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_on_connections')),
    sa.UniqueConstraint('organisation_id', name=op.f('uq_sign_on_connections_organisation_id'))
    )
    op.create_table('sign_on_domains',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('domain', sa.String(length=253), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_sign_on_domains_organisation_id_organisations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_on_domains')),
    sa.UniqueConstraint('domain', name=op.f('uq_sign_on_domains_domain'))
    )
    with op.batch_alter_table('sign_on_domains', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_on_domains_organisation_id'), ['organisation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('sign_on_domains', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_on_domains_organisation_id'))
    op.drop_table('sign_on_domains')
    op.drop_table('sign_on_connections')
