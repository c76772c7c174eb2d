"""SCIM against what others run: scim2-tester's whole suite (discovery, CRUD, filters, every
PATCH operation on every attribute we publish) with no failure, and the paging rules."""
from __future__ import annotations

from collections import Counter

from flask import g
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_models import ScimProvider
from scim2_tester import Status, check_server

from tests.integrations_support import ScimClient, bearer, issue_token

#: the checks scim2-tester 0.5.2 runs against our two resource types (measured: 69)
MIN_CHECKS = 60


def test_scim2_tester_finds_no_failure(app, db, make_org):
    secret = issue_token(db, make_org("Acme"), "scim")

    def fresh_request(environ, start_response):
        for name in list(g):  # each request starts with an empty g, as in production
            g.pop(name)
        return app(environ, start_response)

    client = WSGISCIMClient(fresh_request, base_url="http://localhost/scim/v2",
                            headers=bearer(secret), provider=ScimProvider())
    results = check_server(client)
    failures = [(r.title, r.resource_type, r.reason) for r in results
                if r.status in (Status.ERROR, Status.CRITICAL)]
    assert failures == []
    counted = Counter(r.status for r in results)
    assert counted[Status.SUCCESS] == len(results) >= MIN_CHECKS, counted


def test_paging_follows_start_index_and_count(app, db, make_org):
    scim = ScimClient(app.test_client(), issue_token(db, make_org("Acme"), "scim"))
    ids = [scim.create_user(f"person{n}@example.com")["id"] for n in range(7)]

    @settings(max_examples=20, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(start=st.integers(min_value=-2, max_value=10), count=st.integers(min_value=-1,
                                                                             max_value=9))
    def page(start: int, count: int) -> None:
        answer = scim.client.get("/scim/v2/Users", headers=scim.headers,
                                 query_string={"startIndex": start, "count": count}).get_json()
        first = max(start, 1) - 1  # RFC 7644 3.4.2.4: below 1 counts as 1, below 0 as 0
        shown = ids[first:first + max(count, 0)]
        assert answer["totalResults"] == len(ids)
        assert [r["id"] for r in answer.get("Resources", [])] == shown
        assert answer["itemsPerPage"] == len(shown)

    page()


PEOPLE = [("ada@example.com", "A-1", "Ada"), ("grace@example.com", "G-1", "Grace"),
          ("linus@example.com", "L-1", "Linus"), ("E-555", "E-5", "Ada")]
ATTRIBUTES = {"userName": 0, "externalId": 1, "displayName": 2}


def comparisons():
    """`attribute eq "value"` over the people's values (any case) and one no one has."""
    values = st.sampled_from([v for person in PEOPLE for v in person] + ["nobody@example.com"])
    return st.builds(lambda attribute, value, upper: (attribute,
                                                      value.upper() if upper else value),
                     st.sampled_from(sorted(ATTRIBUTES)), values, st.booleans())


def matches(person: tuple, comparison: tuple[str, str]) -> bool:
    attribute, value = comparison
    held = person[ATTRIBUTES[attribute]]
    # RFC 7643: userName and displayName compare without case, externalId with it
    return held == value if attribute == "externalId" else held.lower() == value.lower()


def test_a_filter_finds_exactly_whom_it_describes(app, db, make_org):
    scim = ScimClient(app.test_client(), issue_token(db, make_org("Acme"), "scim"))
    ids = [scim.create_user(name, externalId=external, displayName=display)["id"]
           for name, external, display in PEOPLE]

    @settings(max_examples=20, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(terms=st.lists(comparisons(), min_size=1, max_size=3),
           joiner=st.sampled_from(["and", "or"]), negate=st.booleans())
    def search(terms, joiner, negate) -> None:
        text = f" {joiner} ".join(f'{attribute} eq "{value}"' for attribute, value in terms)
        text = f"not ({text})" if negate else text
        combine = all if joiner == "and" else any
        wanted = [i for i, person in zip(ids, PEOPLE)
                  if combine(matches(person, term) for term in terms) != negate]
        answer = scim.client.get("/scim/v2/Users", headers=scim.headers,
                                 query_string={"filter": text}).get_json()
        assert [r["id"] for r in answer.get("Resources", [])] == wanted, text
        assert answer["totalResults"] == len(wanted)

    search()
