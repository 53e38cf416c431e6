"""/v1/notification-templates: workflows with their steps, validated like the editor."""

import pytest

from tests.api.conftest import error_of
from tests.factories import (
    FeedFactory,
    LayoutFactory,
    StepFactory,
    WorkflowFactory,
    WorkflowGroupFactory,
)
from workflows.models import Channel, Step, Workflow


def steps_of(workflow) -> list[Step]:
    return list(Step.unscoped_across_environments.filter(workflow=workflow).order_by("position"))


@pytest.fixture
def general(tenant):
    return WorkflowGroupFactory(environment=tenant.development, name="General")


def welcome_body(**overrides) -> dict:
    return {
        "name": "Welcome",
        "description": "Sent after sign-up",
        "tags": ["onboarding", "onboarding", "email"],
        "steps": [
            {
                "template": {
                    "type": "in_app",
                    "content": "Hi {{ subscriber.firstName }}, order {{ payload.order.id }}",
                    "cta": {"type": "redirect", "data": {"url": "/orders/{{ payload.order.id }}"}},
                }
            },
            {
                "active": False,
                "template": {
                    "type": "email",
                    "name": "Receipt",
                    "subject": "Your order {{ payload.order.id }}",
                    "content": "<p>{{ payload.note }}</p>",
                },
            },
        ],
        **overrides,
    }


def test_create_with_steps(tenant, general, development_api):
    response = development_api.post("/notification-templates", welcome_body())

    assert response.status_code == 201
    workflow = Workflow.unscoped_across_environments.get(environment=tenant.development)
    in_app, email = Step.unscoped_across_environments.filter(workflow=workflow).order_by("position")
    assert (workflow.name, workflow.identifier, workflow.group) == ("Welcome", "welcome", general)
    assert workflow.tags == ["onboarding", "email"]
    assert (in_app.channel, in_app.name, in_app.active) == (Channel.IN_APP, "In-app", True)
    assert in_app.cta_url == "/orders/{{ payload.order.id }}"
    assert (email.channel, email.name, email.active) == (Channel.EMAIL, "Receipt", False)
    assert email.subject == "Your order {{ payload.order.id }}"
    data = response.json()["data"]
    assert data == {
        "_id": str(workflow.public_id),
        "name": "Welcome",
        "description": "Sent after sign-up",
        "active": True,
        "critical": False,
        "draft": False,
        "tags": ["onboarding", "email"],
        "_notificationGroupId": str(general.public_id),
        "notificationGroup": {"_id": str(general.public_id), "name": "General"},
        "_environmentId": str(tenant.development.pk),
        "_organizationId": str(tenant.organization.pk),
        "preferenceSettings": {
            "email": True,
            "sms": True,
            "in_app": True,
            "chat": True,
            "push": True,
        },
        "triggers": [
            {
                "type": "event",
                "identifier": "welcome",
                "variables": [{"name": "note"}, {"name": "order.id"}],
                "subscriberVariables": [{"name": "firstName"}],
            }
        ],
        "steps": [
            {
                "_id": str(in_app.public_id),
                "_templateId": str(in_app.public_id),
                "name": "In-app",
                "active": True,
                "template": {
                    "_id": str(in_app.public_id),
                    "type": "in_app",
                    "name": "In-app",
                    "content": in_app.body,
                    "subject": None,
                    "cta": {"type": "redirect", "data": {"url": in_app.cta_url}},
                    "_feedId": None,
                    "_layoutId": None,
                },
            },
            {
                "_id": str(email.public_id),
                "_templateId": str(email.public_id),
                "name": "Receipt",
                "active": False,
                "template": {
                    "_id": str(email.public_id),
                    "type": "email",
                    "name": "Receipt",
                    "content": "<p>{{ payload.note }}</p>",
                    "subject": email.subject,
                    "cta": None,
                    "_feedId": None,
                    "_layoutId": None,
                },
            },
        ],
        "createdAt": workflow.created_at.isoformat(),
        "updatedAt": workflow.updated_at.isoformat(),
    }


def test_create_in_a_chosen_group_with_a_feed_layout_and_preferences(tenant, development_api):
    group = WorkflowGroupFactory(environment=tenant.development, name="Orders")
    feed = FeedFactory(environment=tenant.development, identifier="updates")
    layout = LayoutFactory(environment=tenant.development, html="<div>{{ content }}</div>")

    response = development_api.post(
        "/notification-templates",
        {
            "name": "Shipped",
            "identifier": "order-shipped",
            "notificationGroupId": str(group.public_id),
            "critical": True,
            "preferenceSettings": {"sms": False, "in_app": True, "push": False},
            "steps": [
                {
                    "template": {
                        "type": "in_app",
                        "content": "Shipped",
                        "_feedId": str(feed.public_id),
                    }
                },
                {
                    "template": {
                        "type": "email",
                        "subject": "Shipped",
                        "content": "<p>Shipped</p>",
                        "_layoutId": str(layout.public_id),
                    }
                },
            ],
        },
    )

    assert response.status_code == 201
    workflow = Workflow.unscoped_across_environments.get(identifier="order-shipped")
    assert workflow.group == group and workflow.critical
    assert workflow.preference_defaults == {
        "in_app": True,
        "email": True,
        "chat": True,
        "sms": False,
    }
    in_app, email = steps_of(workflow)
    assert (in_app.feed, email.layout) == (feed, layout)
    steps = response.json()["data"]["steps"]
    assert steps[0]["template"]["_feedId"] == str(feed.public_id)
    assert steps[1]["template"]["_layoutId"] == str(layout.public_id)


def test_nulls_from_clients_mean_empty_or_unchanged(general, development_api):
    response = development_api.post(
        "/notification-templates",
        welcome_body(
            description=None,
            steps=[
                {
                    "_id": None,
                    "name": None,
                    "active": None,
                    "template": {
                        "type": "in_app",
                        "content": "Hi",
                        "subject": None,
                        "cta": {"type": "redirect", "data": {"url": None}},
                        "_feedId": None,
                    },
                }
            ],
        ),
    )

    assert response.status_code == 201
    [step] = steps_of(Workflow.unscoped_across_environments.get())
    assert (step.name, step.active, step.cta_url, step.feed) == ("In-app", True, "", None)
    assert Workflow.unscoped_across_environments.get().description == ""


def test_liquid_errors_are_400s_naming_the_step_field_and_line(general, development_api):
    body = welcome_body(
        steps=[
            {"template": {"type": "sms", "content": "Fine"}},
            {
                "template": {
                    "type": "email",
                    "subject": "{{ payload.name | shout }}",
                    "content": "<p>\n{% if payload.vip %}VIP</p>",
                }
            },
        ]
    )

    response = development_api.post("/notification-templates", body)

    assert response.status_code == 400
    assert error_of(response)["message"] == [
        "steps[1].template.subject: Line 1: unknown filter 'shout' (at “{{ payload.name | shout }}”)",
        "steps[1].template.content: Line 2: {% if %} is never closed with {% endif %} "
        "(at “{% if payload.vip %}VIP</p>”)",
    ]
    assert not Workflow.unscoped_across_environments.exists()
    assert not Step.unscoped_across_environments.exists()


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (
            {"template": {"type": "push", "content": "x"}},
            "steps[0].template.type: Input should be 'in_app', 'email', 'chat' or 'sms'",
        ),
        (
            {"template": {"type": "email", "content": [{"type": "text", "content": "x"}]}},
            "steps[0].template.content: Input should be a valid string",
        ),
        ({"active": True}, "steps[0].template: Field required"),
        (
            {"template": {"type": "sms", "name": "x" * 121, "content": "x"}},
            "steps[0].template.name: String should have at most 120 characters",
        ),
    ],
)
def test_steps_the_schema_refuses_are_400s_naming_them(general, development_api, step, message):
    response = development_api.post("/notification-templates", welcome_body(steps=[step]))

    assert response.status_code == 400
    assert error_of(response)["message"] == [message]


def test_references_must_be_of_this_environment(tenant, general, development_api):
    production_group = WorkflowGroupFactory(environment=tenant.production, name="General")
    production_feed = FeedFactory(environment=tenant.production)

    wrong_group = development_api.post(
        "/notification-templates",
        welcome_body(notificationGroupId=str(production_group.public_id)),
    )
    wrong_feed = development_api.post(
        "/notification-templates",
        welcome_body(
            steps=[
                {
                    "template": {
                        "type": "in_app",
                        "content": "x",
                        "_feedId": str(production_feed.public_id),
                    }
                }
            ]
        ),
    )

    assert wrong_group.status_code == 400
    assert error_of(wrong_group)["message"] == (
        "notificationGroupId: Development has no notification group with the id "
        f"“{production_group.public_id}”."
    )
    assert wrong_feed.status_code == 400
    assert error_of(wrong_feed)["message"].startswith(
        "steps[0].template._feedId: Development has no feed with the id"
    )
    assert not Workflow.unscoped_across_environments.exists()


def test_without_a_general_group_the_group_is_required(development_api):
    response = development_api.post("/notification-templates", welcome_body())
    assert response.status_code == 400
    assert error_of(response)["message"] == (
        "notificationGroupId: Development has no General group: choose one."
    )


def test_an_identifier_is_needed_from_the_name_or_given(general, development_api):
    response = development_api.post("/notification-templates", welcome_body(name="!!!"))
    assert response.status_code == 400
    assert error_of(response)["message"].startswith("name: Give the workflow a name")
    bad_slug = development_api.post("/notification-templates", welcome_body(identifier="no spaces"))
    assert bad_slug.status_code == 400
    assert error_of(bad_slug)["message"][0].startswith("identifier: String should match")


def test_a_duplicate_identifier_is_a_409(general, development_api):
    assert development_api.post("/notification-templates", welcome_body()).status_code == 201

    response = development_api.post("/notification-templates", welcome_body(name="Welcome"))

    assert response.status_code == 409
    assert error_of(response)["message"] == (
        "identifier: Development already has a workflow with the identifier “welcome”."
    )
    assert Workflow.unscoped_across_environments.count() == 1


def test_production_refuses_every_write_naming_development(tenant, production_api):
    WorkflowGroupFactory(environment=tenant.production, name="General")
    workflow = WorkflowFactory(environment=tenant.production)
    expected = (
        "Production is read-only. Make changes in Development, then promote them on the "
        "Changes page."
    )

    responses = [
        production_api.post("/notification-templates", welcome_body()),
        production_api.put(f"/notification-templates/{workflow.public_id}", {"name": "New"}),
        production_api.delete(f"/notification-templates/{workflow.public_id}"),
    ]

    for response in responses:
        assert response.status_code == 403
        assert error_of(response)["message"] == expected
    assert list(Workflow.unscoped_across_environments.values_list("name", flat=True)) == [
        workflow.name
    ]
    # Reading is fine.
    read = production_api.get(f"/notification-templates/{workflow.public_id}")
    assert read.status_code == 200


def test_list_is_paginated_and_has_only_this_environments_workflows(
    tenant, other_tenant, development_api, django_assert_max_num_queries
):
    for index in range(12):
        workflow = WorkflowFactory(environment=tenant.development, name=f"Workflow {index:02}")
        StepFactory(workflow=workflow, channel=Channel.SMS, body="{{ payload.code }}")
        StepFactory(
            workflow=workflow,
            channel=Channel.IN_APP,
            body="x",
            feed=FeedFactory(environment=tenant.development),
        )
    WorkflowFactory(environment=tenant.production, name="Production only")
    WorkflowFactory(environment=other_tenant.development, name="Globex only")

    with django_assert_max_num_queries(12):
        first = development_api.get("/notification-templates", {"limit": 10})
    second = development_api.get("/notification-templates", {"page": 1, "limit": 10})

    assert first.status_code == second.status_code == 200
    assert (first.json()["totalCount"], first.json()["hasMore"]) == (12, True)
    assert [item["name"] for item in first.json()["data"]] == [
        f"Workflow {index:02}" for index in range(10)
    ]
    assert [item["name"] for item in second.json()["data"]] == ["Workflow 10", "Workflow 11"]
    assert second.json()["hasMore"] is False
    assert first.json()["data"][0]["triggers"][0]["variables"] == [{"name": "code"}]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": 101}, "limit: Input should be less than or equal to 100"),
        ({"page": -1}, "page: Input should be greater than or equal to 0"),
        (
            {"limit": "ten"},
            "limit: Input should be a valid integer, unable to parse string as an integer",
        ),
    ],
)
def test_bad_pagination_is_a_400_naming_the_parameter(development_api, params, message):
    response = development_api.get("/notification-templates", params)
    assert response.status_code == 400
    assert error_of(response)["message"] == [message]


def test_get_and_404s(tenant, other_tenant, development_api):
    workflow = WorkflowFactory(environment=tenant.development, name="Welcome")
    production_copy = WorkflowFactory(environment=tenant.production, origin_id=workflow.origin_id)
    foreign = WorkflowFactory(environment=other_tenant.development)

    found = development_api.get(f"/notification-templates/{workflow.public_id}")

    assert found.status_code == 200
    assert found.json()["data"]["name"] == "Welcome"
    for given in (production_copy.public_id, foreign.public_id, workflow.origin_id, "nope"):
        response = development_api.get(f"/notification-templates/{given}")
        assert response.status_code == 404
        assert error_of(response)["message"] == (
            f"Development has no notification template with the id “{given}”."
        )


@pytest.fixture
def saved(tenant, general, development_api):
    response = development_api.post("/notification-templates", welcome_body())
    return Workflow.unscoped_across_environments.get(public_id=response.json()["data"]["_id"])


def test_update_fields_keeps_the_identifier_and_the_steps(saved, development_api):
    steps_before = [(step.public_id, step.body) for step in steps_of(saved)]

    response = development_api.put(
        f"/notification-templates/{saved.public_id}",
        {"name": "Hello", "description": None, "active": False, "tags": ["a"]},
    )

    assert response.status_code == 200
    saved.refresh_from_db()
    assert (saved.name, saved.identifier, saved.active, saved.tags) == (
        "Hello",
        "welcome",
        False,
        ["a"],
    )
    assert saved.description == "Sent after sign-up"
    assert [(step.public_id, step.body) for step in steps_of(saved)] == steps_before
    assert response.json()["data"]["triggers"][0]["identifier"] == "welcome"


def test_update_replaces_steps_keeping_listed_ones_by_id(saved, development_api):
    in_app, email = steps_of(saved)

    response = development_api.put(
        f"/notification-templates/{saved.public_id}",
        {
            "steps": [
                {
                    "_id": str(email.public_id),
                    "template": {"type": "email", "content": "<b>New</b>"},
                },
                {"template": {"type": "chat", "content": "Hello {{ payload.channel }}"}},
            ]
        },
    )

    assert response.status_code == 200
    email_after, chat = steps_of(saved)
    assert email_after.public_id == email.public_id
    assert (email_after.body, email_after.subject, email_after.position) == (
        "<b>New</b>",
        "Your order {{ payload.order.id }}",
        0,
    )
    assert (chat.channel, chat.name, chat.position) == (Channel.CHAT, "Chat", 1)
    assert not Step.unscoped_across_environments.filter(pk=in_app.pk).exists()
    assert [step["_id"] for step in response.json()["data"]["steps"]] == [
        str(email.public_id),
        str(chat.public_id),
    ]


def test_update_refusals_change_nothing(tenant, saved, development_api):
    in_app, email = steps_of(saved)
    other = WorkflowFactory(environment=tenant.development, identifier="taken")
    other_step = StepFactory(workflow=other)
    url = f"/notification-templates/{saved.public_id}"

    new_channel = development_api.put(
        url,
        {"steps": [{"_id": str(in_app.public_id), "template": {"type": "sms", "content": "x"}}]},
    )
    foreign_step = development_api.put(
        url,
        {
            "steps": [
                {"_id": str(other_step.public_id), "template": {"type": "in_app", "content": "x"}}
            ]
        },
    )
    not_an_id = development_api.put(
        url, {"steps": [{"_id": "7", "template": {"type": "in_app", "content": "x"}}]}
    )
    invalid = development_api.put(
        url,
        {
            "name": "Renamed",
            "steps": [
                {"_id": str(email.public_id), "template": {"type": "email", "content": "{{"}}
            ],
        },
    )
    duplicate = development_api.put(url, {"identifier": "taken"})

    assert new_channel.status_code == 400
    assert error_of(new_channel)["message"] == (
        "steps[0].template.type: A step keeps its channel (In-app): remove it and add a new "
        "step instead."
    )
    assert foreign_step.status_code == 400
    assert error_of(foreign_step)["message"].startswith("steps[0]._id: “Welcome” has no step")
    assert not_an_id.status_code == 400
    assert error_of(not_an_id)["message"] == "steps[0]._id: “7” is not a step id."
    assert invalid.status_code == 400
    assert error_of(invalid)["message"].startswith("steps[0].template.content: Line 1:")
    assert duplicate.status_code == 409
    saved.refresh_from_db()
    assert (saved.name, saved.identifier) == ("Welcome", "welcome")
    assert steps_of(saved) == [in_app, email]
    assert Step.unscoped_across_environments.get(pk=email.pk).body == email.body


def test_delete(saved, development_api):
    response = development_api.delete(f"/notification-templates/{saved.public_id}")

    assert response.status_code == 200
    assert response.json() == {"data": True}
    assert not Workflow.unscoped_across_environments.exists()
    assert not Step.unscoped_across_environments.exists()
    again = development_api.delete(f"/notification-templates/{saved.public_id}")
    assert again.status_code == 404


def test_edits_by_a_key_leave_no_user_behind(saved):
    assert saved.updated_by is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([None, None], "body: Input should be a valid dictionary or instance of WorkflowUpdate"),
        ({"active": 0}, "active: Input should be a valid boolean"),
        ({"tags": "a,b"}, "tags: Input should be a valid list"),
        (
            {"steps": [{"active": "yes", "template": {"type": "sms"}}]},
            "steps[0].active: Input should be a valid boolean",
        ),
    ],
)
def test_bodies_must_be_objects_of_the_declared_types(saved, development_api, body, message):
    response = development_api.put(f"/notification-templates/{saved.public_id}", body)

    assert response.status_code == 400
    assert error_of(response)["message"] == [message]
    assert len(steps_of(saved)) == 2


def test_steps_need_what_the_editor_requires(general, development_api):
    response = development_api.post(
        "/notification-templates",
        welcome_body(
            steps=[
                {"template": {"type": "sms"}},
                {"template": {"type": "email", "content": "<p>Hi</p>", "subject": "  "}},
            ]
        ),
    )

    assert response.status_code == 400
    assert error_of(response)["message"] == [
        "steps[0].template.content: Give the step its content.",
        "steps[1].template.subject: An email needs a subject.",
    ]
    assert not Workflow.unscoped_across_environments.exists()


def test_a_kept_step_left_without_content_keeps_it(saved, development_api):
    in_app, email = steps_of(saved)

    response = development_api.put(
        f"/notification-templates/{saved.public_id}",
        {
            "steps": [
                {"_id": str(in_app.public_id), "active": False, "template": {"type": "in_app"}},
                {"_id": str(email.public_id), "template": {"type": "email", "subject": "New"}},
            ]
        },
    )

    assert response.status_code == 200
    in_app_after, email_after = steps_of(saved)
    assert (in_app_after.body, in_app_after.active) == (in_app.body, False)
    assert (email_after.body, email_after.subject) == (email.body, "New")
