"""HR's webhook pages: adding endpoints (public https only), the secret, test events, turning on
and off, the delivery log and redelivery, and who may see any of it."""
from __future__ import annotations

import html
import ipaddress

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from standardwebhooks import Webhook

from app.clock import utcnow
from app.jobs import job_queue
from app.models import AuditEvent, WebhookDelivery, WebhookEndpoint
from app.models.webhooks import DELIVERED, FAILED
from app.webhooks import outbox, services
from app.webhooks.addresses import address_allowed, check_url
from app.webhooks.errors import EndpointRefused
from tests.webhook_support import receiver, receiver_server  # noqa: F401  (fixtures)


@pytest.fixture
def org(make_org):
    return make_org("Acme Corp")


@pytest.fixture
def hr(login_as, org):
    return login_as("hr", org=org, name="Harper Ross")


def base(org) -> str:
    return f"/organisations/{org.slug}/webhooks"


def endpoint_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(WebhookEndpoint))


def add(browser, org, url, events=("certificate.issued", "learner.completed"), **extra):
    return browser.post(f"{base(org)}/new", {"url": url, "description": "HRIS",
                                             "event_types": list(events), **extra})


def test_hr_adds_an_endpoint_sees_its_secret_and_it_is_audited(app, db, browser, hr, org,
                                                                receiver):
    app.config["WEBHOOK_ALLOW_LOOPBACK"] = True
    assert f'href="{base(org)}/"' in browser.get("/hr/organisation").get_data(as_text=True)
    response = add(browser, org, receiver.url("hris"))
    assert response.status_code == 303
    endpoint = db.session.scalar(select(WebhookEndpoint))
    assert response.headers["Location"].endswith(f"{base(org)}/{endpoint.id}")
    assert endpoint.event_types == ["certificate.issued", "learner.completed"]
    assert endpoint.secret.startswith("whsec_") and endpoint.created_by_id == hr.id
    Webhook(endpoint.secret)  # a secret the reference library reads
    page = browser.get(f"{base(org)}/{endpoint.id}").get_data(as_text=True)
    assert endpoint.secret in page and "Send a test event" in page
    assert receiver.url("hris") in browser.get(f"{base(org)}/").get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "webhook.create"))


@pytest.mark.parametrize("url, says", [
    ("http://hooks.example.com/in", "starts with https://"),
    ("https://10.1.2.3/in", "private network"),
    ("https://169.254.169.254/latest/meta-data", "private network"),
    ("https://[fd00::1]/in", "private network"),
    ("https://[::ffff:192.168.0.1]/in", "private network"),
    ("https://localhost:8443/in", "private network"),
    ("https://127.0.0.1/in", "private network"),
    ("https://0.0.0.0/in", "private network"),
    ("https://user:secret@8.8.8.8/in", "user name or password"),
    ("https://no-such-host.invalid/in", "cannot be found"),
    ("ftp://8.8.8.8/in", "starts with https://"),
    ("not a url", "starts with https://"),
])
def test_an_address_inside_the_network_or_not_https_is_refused(db, browser, hr, org, url, says):
    response = add(browser, org, url)
    assert response.status_code == 400
    assert says in response.get_data(as_text=True)
    assert endpoint_count(db) == 0


def test_loopback_over_http_is_allowed_only_when_the_setting_says_so():
    url = "http://127.0.0.1:9999/hooks"
    assert check_url(url, allow_loopback=True) == url
    with pytest.raises(EndpointRefused):
        check_url(url, allow_loopback=False)
    with pytest.raises(EndpointRefused):  # plain http stays refused for a public host
        check_url("http://8.8.8.8/hooks", allow_loopback=True)
    assert check_url(" https://8.8.8.8/hooks ", allow_loopback=False) == "https://8.8.8.8/hooks"
    # a name is checked on every address it resolves to
    with pytest.raises(EndpointRefused):
        check_url("https://hooks.example.com/", allow_loopback=False,
                  resolver=lambda host, port: ["8.8.8.8", "10.0.0.7"])


PRIVATE_NETWORKS = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8",
                    "169.254.0.0/16", "100.64.0.0/10", "0.0.0.0/8", "fc00::/7", "fe80::/10",
                    "::1/128", "224.0.0.0/4", "ff00::/8"]


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(network=st.sampled_from(PRIVATE_NETWORKS), data=st.data(), mapped=st.booleans())
def test_no_address_of_a_private_network_is_allowed(network, data, mapped):
    address = data.draw(st.ip_addresses(network=network))
    if mapped and address.version == 4:
        address = ipaddress.IPv6Address(f"::ffff:{address}")
    assert not address_allowed(str(address), allow_loopback=False)


def test_no_events_chosen_is_refused(db, browser, hr, org):
    response = add(browser, org, "https://8.8.8.8/in", events=())
    assert response.status_code == 400 and endpoint_count(db) == 0


@pytest.fixture
def endpoint(app, db, org, hr, receiver):
    app.config["WEBHOOK_ALLOW_LOOPBACK"] = True
    found = services.create_endpoint(db.session, hr, org, url=receiver.url("hris"),
                                     description="HRIS", event_types=["certificate.issued"],
                                     now=utcnow(), allow_loopback=True)
    db.session.commit()
    receiver.expect("hris", found.secret)
    return found


def test_a_test_event_is_delivered_and_shows_in_the_log(app, db, browser, org, endpoint,
                                                        receiver):
    page = f"{base(org)}/{endpoint.id}"
    assert browser.post(f"{page}/test", token_from=page).status_code == 303
    job_queue(app).run_pending()
    [request] = receiver.delivered()
    assert request.payload["type"] == "webhook.test"
    assert request.payload["data"]["organisation"]["slug"] == org.slug
    log = browser.get(f"{base(org)}/deliveries?status=delivered").get_data(as_text=True)
    assert request.webhook_id in log
    assert request.webhook_id not in browser.get(
        f"{base(org)}/deliveries?status=failed").get_data(as_text=True)


def test_the_log_is_paginated_and_a_delivery_can_be_redelivered(app, db, browser, org, endpoint,
                                                                 receiver):
    for n in range(30):
        outbox.write_event(db.session, org.id, "certificate.issued", {"n": n}, cause=f"n:{n}",
                           now=utcnow())
    db.session.commit()
    job_queue(app).run_pending()
    first = browser.get(f"{base(org)}/deliveries").get_data(as_text=True)
    second = browser.get(f"{base(org)}/deliveries?page=2").get_data(as_text=True)
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    oldest = db.session.scalar(select(WebhookDelivery).order_by(WebhookDelivery.id))
    assert oldest.event_id in second and oldest.event_id not in first
    endpoint_page = browser.get(f"{base(org)}/{endpoint.id}").get_data(as_text=True)
    assert "All 30 messages of this endpoint" in endpoint_page
    assert oldest.event_id not in endpoint_page  # the latest ten only
    assert oldest.event_id in browser.get(
        f"{base(org)}/deliveries?endpoint_id={endpoint.id}&page=2").get_data(as_text=True)
    detail = f"{base(org)}/deliveries/{oldest.id}"
    assert '"n": 0' in html.unescape(browser.get(detail).get_data(as_text=True))
    assert browser.post(f"{detail}/redeliver", token_from=detail).status_code == 303
    job_queue(app).run_pending()
    again = [r for r in receiver.delivered() if r.webhook_id == oldest.event_id]
    assert len(again) == 2
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "webhook.redeliver"))


def test_hr_rotates_the_secret_turns_the_endpoint_off_and_on_and_deletes_it(
        db, browser, org, endpoint):
    page = f"{base(org)}/{endpoint.id}"
    old = endpoint.secret
    assert browser.post(f"{page}/rotate", token_from=page).status_code == 303
    db.session.refresh(endpoint)
    assert endpoint.secret != old and endpoint.previous_secret == old
    assert browser.post(f"{page}/disable", token_from=page).status_code == 303
    db.session.refresh(endpoint)
    assert not endpoint.enabled and endpoint.disabled_reason == "by_hand"
    refused = browser.post(f"{page}/test", token_from=page)
    assert refused.status_code == 303
    assert "Turn the endpoint on" in browser.get(page).get_data(as_text=True)
    assert browser.post(f"{page}/enable", token_from=page).status_code == 303
    db.session.refresh(endpoint)
    assert endpoint.enabled and endpoint.disabled_at is None
    response = browser.post(f"{page}/edit", {"url": "https://8.8.4.4/in", "description": "",
                                             "event_types": ["certificate.revoked"]})
    assert response.status_code == 303
    db.session.refresh(endpoint)
    assert endpoint.url == "https://8.8.4.4/in"
    assert endpoint.event_types == ["certificate.revoked"]
    assert browser.post(f"{page}/delete", token_from=page).status_code == 303
    assert endpoint_count(db) == 0
    assert browser.get(page).status_code == 404
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"webhook.rotate_secret", "webhook.disable", "webhook.enable", "webhook.update",
            "webhook.delete"} <= actions


def test_another_organisations_hr_and_learners_are_kept_out(app, db, client, browser, org,
                                                             endpoint, login_as, make_org):
    delivery_id = outbox.write_event(db.session, org.id, "certificate.issued", {},
                                     cause="x", now=utcnow())[0]
    db.session.commit()
    pages = [f"{base(org)}/", f"{base(org)}/new", f"{base(org)}/{endpoint.id}",
             f"{base(org)}/{endpoint.id}/edit", f"{base(org)}/deliveries",
             f"{base(org)}/deliveries/{delivery_id}"]
    posts = [f"{base(org)}/{endpoint.id}/{action}"
             for action in ("test", "rotate", "disable", "enable", "delete")]
    posts.append(f"{base(org)}/deliveries/{delivery_id}/redeliver")
    other = make_org("Other Corp")
    login_as("hr", org=other)
    token = browser.token("/account")
    for path in pages:
        assert client.get(path).status_code == 403, path
    for path in posts:
        assert client.post(path, data={"csrf_token": token}).status_code == 403, path
    assert db.session.get(WebhookEndpoint, endpoint.id).enabled
    login_as("learner", org=org)
    assert client.get(f"{base(org)}/").status_code == 403
    # the other organisation's own pages do not reach this one's endpoint
    login_as("hr", org=other)
    assert client.get(f"{base(other)}/{endpoint.id}").status_code == 404
    assert client.get(f"{base(other)}/deliveries/{delivery_id}").status_code == 404
    assert client.get("/organisations/no-such-org/webhooks/").status_code == 404
    login_as("admin")
    assert client.get(f"{base(org)}/{endpoint.id}").status_code == 200


def test_anonymous_visitors_are_sent_to_log_in(client, org):
    response = client.get(f"{base(org)}/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_delivery_given_up_on_can_be_redelivered_with_a_fresh_round(app, db, browser, org,
                                                                      endpoint, receiver):
    [delivery_id] = outbox.write_event(db.session, org.id, "certificate.issued", {},
                                       cause="x", now=utcnow())
    db.session.commit()
    delivery = db.session.get(WebhookDelivery, delivery_id)
    delivery.status, delivery.attempts = FAILED, outbox.MAX_ATTEMPTS
    db.session.commit()
    detail = f"{base(org)}/deliveries/{delivery_id}"
    browser.post(f"{detail}/redeliver", token_from=detail)
    job_queue(app).run_pending()
    db.session.refresh(delivery)
    assert (delivery.status, delivery.attempts) == (DELIVERED, 1)


def test_every_webhook_form_refuses_a_post_without_its_csrf_token(app, db, client, org, endpoint,
                                                                  hr):
    [delivery_id] = outbox.write_event(db.session, org.id, "certificate.issued", {},
                                       cause="x", now=utcnow())
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    paths = [f"{base(org)}/new", f"{base(org)}/{endpoint.id}/edit",
             f"{base(org)}/deliveries/{delivery_id}/redeliver"]
    paths += [f"{base(org)}/{endpoint.id}/{action}"
              for action in ("test", "rotate", "disable", "enable", "delete")]
    rules = {rule.rule for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("webhooks.") and "POST" in rule.methods}
    assert len(rules) == len(paths)
    for path in paths:
        response = client.post(path, data={"url": "https://8.8.8.8/", "event_types": "x"})
        assert response.status_code == 400, path
        assert "Your form expired" in response.get_data(as_text=True), path
    assert db.session.get(WebhookEndpoint, endpoint.id) is not None
