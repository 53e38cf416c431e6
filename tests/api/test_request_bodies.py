"""Request bodies are JSON objects where the document says so: a list or a number sent where an
object belongs is a 400 naming the field, never silently an empty object."""

import pytest


@pytest.mark.parametrize("credentials", [["x"], 42, "text"])
def test_a_non_object_where_an_object_belongs_is_a_400_naming_the_field(
    api, tenant, issue_key, credentials
):
    key = issue_key(tenant.development)
    body = {
        "subscribers": [
            {
                "subscriberId": "ada",
                "channels": [{"providerId": "slack", "credentials": credentials}],
            }
        ]
    }
    response = api(key.secret).send("post", "/subscribers/bulk", body)
    assert response.status_code == 400
    assert "subscribers[0].channels[0].credentials" in " ".join(response.json()["message"])
    assert api(key.secret).get("/subscribers/ada").status_code == 404


def test_a_non_object_body_is_a_400(api, tenant, issue_key):
    key = issue_key(tenant.development)
    response = api(key.secret).send("post", "/subscribers", ["ada"])
    assert response.status_code == 400
