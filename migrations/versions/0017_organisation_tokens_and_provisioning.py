"""Organisation API tokens; SCIM provisioning's accounts and directory groups

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 07:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'organisation_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('scopes', sa.String(length=200), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_organisation_tokens_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_organisation_tokens_organisation_id_organisations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation_tokens')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_organisation_tokens_token_hash')),
    )
    with op.batch_alter_table('organisation_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_tokens_organisation_id'),
                              ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_organisation_tokens_prefix'), ['prefix'],
                              unique=False)

    op.create_table(
        'provisioned_accounts',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('user_name', sa.String(length=255), nullable=True),
        sa.Column('active_removed', sa.Boolean(), nullable=False),
        sa.Column('external_id', sa.String(length=255), nullable=True),
        sa.Column('given_name', sa.String(length=120), nullable=True),
        sa.Column('family_name', sa.String(length=120), nullable=True),
        sa.Column('formatted_name', sa.String(length=120), nullable=True),
        sa.Column('display_name', sa.String(length=120), nullable=True),
        sa.Column('emails', sa.JSON(), nullable=True),
        sa.Column('provisioned_name', sa.String(length=120), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_provisioned_accounts_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_provisioned_accounts')),
    )
    with op.batch_alter_table('provisioned_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provisioned_accounts_external_id'),
                              ['external_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_provisioned_accounts_user_name'), ['user_name'],
                              unique=False)

    op.create_table(
        'directory_groups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('display_name', sa.String(length=255), nullable=False),
        sa.Column('external_id', sa.String(length=255), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                name=op.f('fk_directory_groups_organisation_id_organisations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_groups')),
    )
    with op.batch_alter_table('directory_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_groups_organisation_id'),
                              ['organisation_id'], unique=False)

    op.create_table(
        'directory_group_members',
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('display', sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(['group_id'], ['directory_groups.id'],
                                name=op.f('fk_directory_group_members_group_id_directory_groups'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_directory_group_members_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('group_id', 'user_id', name=op.f('pk_directory_group_members')),
    )
    with op.batch_alter_table('directory_group_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directory_group_members_user_id'), ['user_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('directory_group_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directory_group_members_user_id'))
    op.drop_table('directory_group_members')
    with op.batch_alter_table('directory_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directory_groups_organisation_id'))
    op.drop_table('directory_groups')
    with op.batch_alter_table('provisioned_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provisioned_accounts_user_name'))
        batch_op.drop_index(batch_op.f('ix_provisioned_accounts_external_id'))
    op.drop_table('provisioned_accounts')
    with op.batch_alter_table('organisation_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_tokens_prefix'))
        batch_op.drop_index(batch_op.f('ix_organisation_tokens_organisation_id'))
    op.drop_table('organisation_tokens')
