"""Helpers for the organisation API tests: tokens, and clients that present them."""
from __future__ import annotations

from datetime import UTC, datetime

from app.integrations import tokens

SCIM = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def issue_token(db, org, *scopes: str, name: str = "Directory") -> str:
    """A live token of `org` for `scopes` (default: scim); its secret."""
    issued = tokens.issue(db.session, None, org, name, list(scopes or ("scim",)),
                          datetime.now(UTC))
    db.session.commit()
    return issued.secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


class ScimClient:
    """The test client speaking SCIM with one token."""

    def __init__(self, client, secret: str) -> None:
        self.client = client
        self.headers = bearer(secret)

    def request(self, method: str, path: str, body: dict | None = None, **headers):
        return self.client.open(f"/scim/v2{path}", method=method, json=body,
                                headers={**self.headers, **headers})

    def get(self, path: str, **headers):
        return self.request("GET", path, **headers)

    def post(self, path: str, body: dict, **headers):
        return self.request("POST", path, body, **headers)

    def put(self, path: str, body: dict, **headers):
        return self.request("PUT", path, body, **headers)

    def patch(self, path: str, *operations: dict, **headers):
        return self.request("PATCH", path, {"schemas": [PATCH_SCHEMA],
                                            "Operations": list(operations)}, **headers)

    def delete(self, path: str, **headers):
        return self.request("DELETE", path, **headers)

    def create_user(self, user_name: str, **attributes) -> dict:
        response = self.post("/Users", {"schemas": [USER_SCHEMA], "userName": user_name,
                                        **attributes})
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()

    def create_group(self, name: str, *member_ids: str) -> dict:
        response = self.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": name,
                                         "members": [{"value": m} for m in member_ids]})
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()
