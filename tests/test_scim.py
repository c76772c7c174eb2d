"""SCIM 2.0 provisioning: Users and Groups of one organisation, through its token."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.auth.services import update_profile
from app.models import AuditEvent, ProvisionedAccount, User
from tests.integrations_support import (
    GROUP_SCHEMA, SCIM, USER_SCHEMA, ScimClient, bearer, issue_token,
)


@pytest.fixture
def org(make_org):
    return make_org("Acme")


@pytest.fixture
def scim(app, db, org) -> ScimClient:
    """A SCIM client of Acme's directory, on a client of its own (no browser cookies)."""
    return ScimClient(app.test_client(), issue_token(db, org, "scim"))


def user_of(db, resource: dict) -> User:
    db.session.expire_all()
    return db.session.get(User, int(resource["id"]))


# --- discovery and refusals -----------------------------------------------------------------

def test_discovery_speaks_scim_json(scim):
    config = scim.get("/ServiceProviderConfig")
    assert config.status_code == 200 and config.mimetype == SCIM
    body = config.get_json()
    assert body["patch"]["supported"] and body["filter"]["supported"]
    assert not body["bulk"]["supported"] and body["etag"]["supported"]
    assert body["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    types = {t["name"] for t in scim.get("/ResourceTypes").get_json()["Resources"]}
    assert types == {"User", "Group"}
    schema = scim.get(f"/Schemas/{USER_SCHEMA}").get_json()
    assert {a["name"] for a in schema["attributes"]} == {
        "userName", "name", "displayName", "active", "emails", "groups"}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nonsense"},
                                     {"Authorization": "Basic dXNlcjpwYXNz"}])
def test_no_valid_token_is_a_scim_401(app, headers):
    response = app.test_client().get("/scim/v2/Users", headers=headers)
    assert response.status_code == 401 and response.mimetype == SCIM
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]


def test_a_token_without_the_scim_scope_is_refused(app, db, org):
    secret = issue_token(db, org, "read:learners")
    assert app.test_client().get("/scim/v2/Users", headers=bearer(secret)).status_code == 401


def test_unknown_paths_and_methods_get_scim_errors(scim):
    missing = scim.get("/Nothing/here/at/all")
    assert missing.status_code == 404 and missing.mimetype == SCIM
    assert missing.get_json()["status"] == "404"
    refused = scim.request("POST", "/ServiceProviderConfig", {})
    assert refused.status_code == 405 and refused.get_json()["status"] == "405"
    assert scim.get("/Me").status_code == 501
    assert scim.post("/Bulk", {}).status_code == 501


# --- Users --------------------------------------------------------------------------------

def test_a_created_user_is_a_verified_learner_of_the_organisation_without_a_password(
        scim, db, org):
    resource = scim.create_user("Ada.Lovelace@Example.com", externalId="00u1",
                                name={"givenName": "Ada", "familyName": "Lovelace"},
                                emails=[{"value": "ada.lovelace@example.com", "primary": True}])
    user = user_of(db, resource)
    assert (user.email, user.name, user.organisation_id) == \
        ("ada.lovelace@example.com", "Ada Lovelace", org.id)
    assert user.email_verified and user.roles == {"learner"} and user.is_active
    assert user.password_hash.startswith("!scim:")
    assert resource["externalId"] == "00u1" and resource["active"] is True
    assert resource["meta"]["location"].endswith(f"/scim/v2/Users/{user.id}")
    assert db.session.scalars(select(AuditEvent.action)
                              .where(AuditEvent.target_type == "user",
                                     AuditEvent.target_id == str(user.id))).all() == \
        ["scim.user_create"]


def test_a_taken_user_name_is_a_409_uniqueness_error(scim, make_user):
    scim.create_user("grace@example.com")
    make_user(email="linus@example.com")  # an account of no organisation
    for taken in ("grace@example.com", "GRACE@example.com", "linus@example.com"):
        response = scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": taken})
        assert response.status_code == 409 and response.get_json()["scimType"] == "uniqueness"


def test_a_token_reaches_only_its_own_organisations_users(app, db, scim, make_org, make_user):
    theirs = make_user(org=make_org("Globex"))
    ours = scim.create_user("ada@example.com")
    other = ScimClient(app.test_client(), issue_token(db, theirs.organisation, "scim"))
    assert other.get(f"/Users/{ours['id']}").status_code == 404
    assert other.patch(f"/Users/{ours['id']}", {"op": "replace", "path": "active",
                                                "value": False}).status_code == 404
    assert other.delete(f"/Users/{ours['id']}").status_code == 404
    assert scim.get(f"/Users/{theirs.id}").status_code == 404
    listed = other.get("/Users").get_json()
    assert [r["id"] for r in listed["Resources"]] == [str(theirs.id)]
    assert user_of(db, ours).is_active


def test_the_filter_finds_a_user_by_user_name_any_case_or_external_id(scim):
    ada = scim.create_user("ada@example.com", externalId="A-1")
    scim.create_user("grace@example.com", externalId="G-1")
    for query in ('userName eq "ADA@example.com"', 'externalId eq "A-1"',
                  'userName eq "ada@example.com" and active eq true',
                  'userName sw "ada"', f'id eq "{ada["id"]}"'):
        found = scim.client.get("/scim/v2/Users", query_string={"filter": query},
                                headers=scim.headers).get_json()
        assert [r["id"] for r in found["Resources"]] == [ada["id"]], query
    nobody = scim.client.get("/scim/v2/Users", query_string={"filter": 'userName eq "x@y.z"'},
                             headers=scim.headers).get_json()
    assert nobody["totalResults"] == 0 and nobody.get("Resources", []) == []
    bad = scim.client.get("/scim/v2/Users", query_string={"filter": 'userName eq'},
                          headers=scim.headers)
    assert bad.status_code == 400 and bad.get_json()["scimType"] == "invalidFilter"


def test_put_replaces_and_the_name_follows_until_the_learner_edits_it(scim, db):
    ada = scim.create_user("ada@example.com", name={"formatted": "Ada Lovelace"})
    body = {"schemas": [USER_SCHEMA], "userName": "ada@example.com",
            "name": {"formatted": "Augusta Ada King"}, "displayName": "Ada"}
    replaced = scim.put(f"/Users/{ada['id']}", body)
    assert replaced.status_code == 200 and replaced.get_json()["displayName"] == "Ada"
    user = user_of(db, ada)
    assert user.name == "Augusta Ada King"
    update_profile(db.session, user, "Ada King-Lovelace")  # the learner's own spelling
    db.session.commit()
    body["name"] = {"formatted": "Countess of Lovelace"}
    again = scim.put(f"/Users/{ada['id']}", body).get_json()
    assert again["name"]["formatted"] == "Countess of Lovelace"
    assert user_of(db, ada).name == "Ada King-Lovelace"


def test_patch_add_replace_and_remove(scim, db):
    ada = scim.create_user("ada@example.com")
    path = f"/Users/{ada['id']}"
    added = scim.patch(path, {"op": "add", "path": "displayName", "value": "Ada"},
                       {"op": "add", "value": {"externalId": "E-7"}}).get_json()
    assert added["displayName"] == "Ada" and added["externalId"] == "E-7"
    replaced = scim.patch(path, {"op": "replace", "path": "name.givenName", "value": "Augusta"},
                          {"op": "replace", "path": "userName",
                           "value": "augusta@example.com"}).get_json()
    assert replaced["name"]["givenName"] == "Augusta"
    assert user_of(db, ada).email == "augusta@example.com"
    removed = scim.patch(path, {"op": "remove", "path": "displayName"}).get_json()
    assert "displayName" not in removed and removed["externalId"] == "E-7"
    refused = scim.patch(path, {"op": "remove", "path": "userName"})
    assert refused.status_code == 400
    assert scim.get(path).get_json()["userName"] == "augusta@example.com"


def test_patch_active_false_ends_the_accounts_logins_at_once(scim, db, client, login_as, org):
    ada = scim.create_user("ada@example.com")
    login_as(user_of(db, ada))
    assert client.get("/dashboard/learning").status_code == 200
    response = scim.patch(f"/Users/{ada['id']}",
                          {"op": "replace", "path": "active", "value": False})
    assert response.status_code == 200 and response.get_json()["active"] is False
    assert client.get("/dashboard/learning").status_code == 302, "logged out on its next request"
    assert not user_of(db, ada).is_active
    back = scim.patch(f"/Users/{ada['id']}", {"op": "replace", "value": {"active": True}})
    assert back.get_json()["active"] is True and user_of(db, ada).is_active


def test_delete_deactivates_keeps_the_account_and_is_404_from_then_on(scim, db, client,
                                                                      login_as):
    ada = scim.create_user("ada@example.com")
    login_as(user_of(db, ada))
    assert scim.delete(f"/Users/{ada['id']}").status_code == 204
    assert client.get("/dashboard/learning").status_code == 302
    user = user_of(db, ada)
    assert user is not None and not user.is_active
    assert db.session.get(ProvisionedAccount, user.id).removed_at is not None
    assert scim.get(f"/Users/{ada['id']}").status_code == 404
    assert scim.delete(f"/Users/{ada['id']}").status_code == 404
    assert scim.get("/Users").get_json()["totalResults"] == 0
    again = scim.create_user("ada@example.com")
    assert again["id"] == ada["id"] and user_of(db, ada).is_active, "the same account returns"


def test_an_etag_guards_against_lost_updates(scim):
    ada = scim.create_user("ada@example.com")
    path = f"/Users/{ada['id']}"
    current = scim.get(path)
    etag = current.headers["ETag"]
    assert etag == ada["meta"]["version"]
    assert scim.get(path, **{"If-None-Match": etag}).status_code == 304
    scim.patch(path, {"op": "add", "path": "displayName", "value": "Ada"})
    stale = scim.patch(path, {"op": "add", "path": "displayName", "value": "A."},
                       **{"If-Match": etag})
    assert stale.status_code == 412
    assert scim.get(path).get_json()["displayName"] == "Ada"


def test_administrators_are_not_managed_through_scim(scim, db, make_user, org):
    admin = make_user("admin", org=org)
    assert scim.get(f"/Users/{admin.id}").status_code == 200
    response = scim.patch(f"/Users/{admin.id}", {"op": "replace", "path": "active",
                                                 "value": False})
    assert response.status_code == 403 and user_of(db, {"id": admin.id}).is_active
    assert scim.delete(f"/Users/{admin.id}").status_code == 403


def test_a_user_without_an_address_cannot_sign_in_until_the_directory_gives_one(scim, db):
    person = scim.create_user("E12345")
    user = user_of(db, person)
    assert user.email.endswith("@directory.invalid") and person["userName"] == "E12345"
    scim.patch(f"/Users/{person['id']}", {"op": "add", "path": "emails",
                                          "value": [{"value": "e12345@example.com",
                                                     "primary": True}]})
    assert user_of(db, person).email == "e12345@example.com"


# --- Groups -------------------------------------------------------------------------------

def test_a_group_named_after_a_role_grants_it_within_the_organisation(scim, db):
    ada, grace = scim.create_user("ada@example.com"), scim.create_user("grace@example.com")
    trainers = scim.create_group("Trainer", ada["id"])
    assert user_of(db, ada).roles == {"learner", "trainer"}
    assert trainers["members"][0]["value"] == ada["id"]
    assert trainers["members"][0]["$ref"].endswith(f"/Users/{ada['id']}")
    member_of = scim.get(f"/Users/{ada['id']}").get_json()["groups"]
    assert [g["value"] for g in member_of] == [trainers["id"]]
    path = f"/Groups/{trainers['id']}"
    scim.patch(path, {"op": "add", "path": "members", "value": [{"value": grace["id"]}]},
               {"op": "remove", "path": f'members[value eq "{ada["id"]}"]'})
    assert user_of(db, ada).roles == {"learner"}
    assert user_of(db, grace).roles == {"learner", "trainer"}
    scim.patch(path, {"op": "replace", "path": "displayName", "value": "Coaches"})
    assert user_of(db, grace).roles == {"learner"}, "renamed away from the role"
    hr = scim.create_group("hr", grace["id"])
    assert scim.delete(f"/Groups/{hr['id']}").status_code == 204
    assert user_of(db, grace).roles == {"learner"}
    assert scim.get(f"/Groups/{hr['id']}").status_code == 404
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert actions.count("scim.user_roles") >= 4


def test_admin_is_never_granted_and_members_must_be_the_organisations(scim, db, make_user,
                                                                      make_org):
    ada = scim.create_user("ada@example.com")
    scim.create_group("admin", ada["id"])
    assert user_of(db, ada).roles == {"learner"}
    stranger = make_user(org=make_org("Globex"))
    refused = scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "trainer",
                                    "members": [{"value": str(stranger.id)}]})
    assert refused.status_code == 400 and refused.get_json()["scimType"] == "invalidValue"
    assert stranger.roles == {"learner"}


def test_groups_are_listed_and_filtered_by_display_name(scim):
    scim.create_group("trainer")
    hr = scim.create_group("HR")
    found = scim.client.get("/scim/v2/Groups", query_string={"filter": 'displayName eq "hr"'},
                            headers=scim.headers).get_json()
    assert [g["id"] for g in found["Resources"]] == [hr["id"]]
    assert scim.get("/Groups").get_json()["totalResults"] == 2


def test_an_account_that_joined_by_invitation_keeps_its_name_when_the_directory_adopts_it(
        scim, db, make_user, org):
    learner = make_user(org=org, name="Dr. Grace B. Hopper", email="grace@example.com")
    found = scim.client.get("/scim/v2/Users", headers=scim.headers,
                            query_string={"filter": 'userName eq "grace@example.com"'})
    [resource] = found.get_json()["Resources"]
    assert resource["id"] == str(learner.id)
    assert resource["name"]["formatted"] == "Dr. Grace B. Hopper"
    scim.patch(f"/Users/{learner.id}", {"op": "replace", "path": "name",
                                        "value": {"givenName": "Grace", "familyName": "Hopper"}},
               {"op": "replace", "path": "externalId", "value": "00u42"})
    assert user_of(db, resource).name == "Dr. Grace B. Hopper", "the learner's own spelling"
    assert scim.get(f"/Users/{learner.id}").get_json()["externalId"] == "00u42"


def test_the_rate_limit_answers_in_scim_words(app, scim):
    app.config["SCIM_LIMIT_PER_TOKEN"] = "2 per minute"
    assert [scim.get("/Users").status_code for _ in range(2)] == [200, 200]
    refused = scim.get("/Users")
    assert refused.status_code == 429 and refused.mimetype == SCIM
    assert refused.get_json()["status"] == "429" and int(refused.headers["Retry-After"]) > 0
