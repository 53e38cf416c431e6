"""/v1/feeds: list, create, delete."""

from tests.api.conftest import error_of
from tests.factories import FeedFactory, StepFactory
from workflows.models import Channel, Feed


def test_list_and_create(tenant, other_tenant, development_api):
    FeedFactory(environment=tenant.production, name="Production only")
    FeedFactory(environment=other_tenant.development, name="Globex only")

    created = development_api.post("/feeds", {"name": "Order updates"})
    listed = development_api.get("/feeds")

    assert created.status_code == 201
    feed = Feed.unscoped_across_environments.get(environment=tenant.development)
    assert (feed.name, feed.identifier) == ("Order updates", "order-updates")
    assert created.json()["data"] == {
        "_id": str(feed.public_id),
        "name": "Order updates",
        "identifier": "order-updates",
        "_environmentId": str(tenant.development.pk),
        "_organizationId": str(tenant.organization.pk),
        "createdAt": feed.created_at.isoformat(),
        "updatedAt": feed.updated_at.isoformat(),
    }
    assert listed.status_code == 200
    assert listed.json()["data"] == [created.json()["data"]]


def test_create_refusals(tenant, development_api, production_api):
    FeedFactory(environment=tenant.development, name="Updates", identifier="updates")

    duplicate = development_api.post("/feeds", {"name": "Updates"})
    no_identifier = development_api.post("/feeds", {"name": "★★★"})
    bad_identifier = development_api.post("/feeds", {"name": "News", "identifier": "a b"})
    read_only = production_api.post("/feeds", {"name": "News"})

    assert duplicate.status_code == 409
    assert error_of(duplicate)["message"] == (
        "identifier: Development already has a feed with the identifier “updates”."
    )
    assert no_identifier.status_code == 400
    assert error_of(no_identifier)["message"].startswith("name: Give the feed a name")
    assert bad_identifier.status_code == 400
    assert error_of(bad_identifier)["message"][0].startswith("identifier: String should match")
    assert read_only.status_code == 403
    assert "Make changes in Development" in error_of(read_only)["message"]
    assert Feed.unscoped_across_environments.count() == 1


def test_delete_answers_with_the_feeds_left(tenant, development_api):
    kept = FeedFactory(environment=tenant.development, name="Kept")
    doomed = FeedFactory(environment=tenant.development, name="Doomed")

    response = development_api.delete(f"/feeds/{doomed.public_id}")

    assert response.status_code == 200
    assert [feed["_id"] for feed in response.json()["data"]] == [str(kept.public_id)]
    assert not Feed.unscoped_across_environments.filter(pk=doomed.pk).exists()


def test_delete_refusals(tenant, development_api, production_api):
    used = FeedFactory(environment=tenant.development, name="Used")
    StepFactory(
        workflow__environment=tenant.development,
        workflow__name="Welcome",
        channel=Channel.IN_APP,
        feed=used,
    )
    production_feed = FeedFactory(environment=tenant.production)

    in_use = development_api.delete(f"/feeds/{used.public_id}")
    read_only = production_api.delete(f"/feeds/{production_feed.public_id}")
    unknown = development_api.delete(f"/feeds/{production_feed.public_id}")

    assert in_use.status_code == 409
    assert "used by in-app steps of “Welcome”" in error_of(in_use)["message"]
    assert read_only.status_code == 403
    assert unknown.status_code == 404
    assert error_of(unknown)["message"] == (
        f"Development has no feed with the id “{production_feed.public_id}”."
    )
    assert Feed.unscoped_across_environments.count() == 2
