from sqlalchemy import select

from app.models import AuditEvent, Organisation, User


def test_orgs_create_and_users_create_with_org(runner, db):
    result = runner.invoke(args=["orgs", "create", "Acme Industries"])
    assert result.exit_code == 0, result.output
    assert "register?invite=" in result.output
    result = runner.invoke(args=["users", "create", "--email", "CEO@Acme.com", "--name", "Wile E",
                                 "--role", "hr", "--org", "acme-industries",
                                 "--password", "Road-Runner-2024"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "ceo@acme.com"))
    assert user.roles == {"learner", "hr"} and user.organisation.slug == "acme-industries"


def test_users_create_prompts_for_password(runner, db):
    result = runner.invoke(args=["users", "create", "--email", "a@b.com", "--name", "A B"],
                           input="Prompted-Pass-99\nPrompted-Pass-99\n")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User).where(User.email == "a@b.com"))


def test_users_create_bad_input(runner, db):
    result = runner.invoke(args=["users", "create", "--email", "a@b.com", "--name", "A",
                                 "--org", "nope", "--password", "Prompted-Pass-99"])
    assert result.exit_code != 0 and "No organisation" in result.output
    result = runner.invoke(args=["users", "create", "--email", "a@b.com", "--name", "A",
                                 "--password", "weak"])
    assert result.exit_code != 0 and "at least" in result.output
    result = runner.invoke(args=["users", "create", "--email", "a@b.com", "--name", "A",
                                 "--role", "emperor", "--password", "Prompted-Pass-99"])
    assert result.exit_code != 0
    assert db.session.scalar(select(User)) is None


def test_users_grant_and_list(runner, make_user, db):
    user = make_user(email="t@example.com")
    result = runner.invoke(args=["users", "grant", "t@example.com", "trainer"])
    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert "trainer" in user.roles
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.grant"))
    listing = runner.invoke(args=["users", "list", "--role", "trainer"]).output
    assert "t@example.com" in listing
    missing = runner.invoke(args=["users", "grant", "nobody@example.com", "hr"])
    assert missing.exit_code != 0 and "No account" in missing.output


def test_demo_accounts_created_once(runner, db):
    first = runner.invoke(args=["users", "demo"])
    assert first.exit_code == 0, first.output
    assert first.output.count("@demo.okr.academy") == 4
    second = runner.invoke(args=["users", "demo"])
    assert "exist already" in second.output
    assert len(db.session.scalars(select(User)).all()) == 4
    assert db.session.scalar(select(Organisation).where(Organisation.slug == "demo-corp"))
