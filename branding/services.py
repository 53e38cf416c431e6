from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from branding.models import Brand, Layout
from branding.uploads import logo_extension_of, logo_file_name
from changes.documents import content_hash_refresh, content_hashes_refresh, content_stamp
from environments import policy
from environments.models import Environment
from environments.policy import Write
from environments.services import Conflict, save_or_refuse_clash
from workflows.liquid import template_problem, template_variables

CONTENT_PLACEHOLDER = "content"


def layout_html_errors(html: str) -> list[str]:
    """What is wrong with a layout's HTML: Liquid syntax, or no ``{{ content }}`` placeholder."""
    problem = template_problem(html, html=True)
    if problem is not None:
        return [str(problem)]
    if CONTENT_PLACEHOLDER not in template_variables(html):
        return [
            "The layout must contain the {{ content }} placeholder, where each email's body goes."
        ]
    return []


def _validate_layout(*, layout: Layout) -> None:
    errors = {}
    html_errors = layout_html_errors(layout.html)
    if html_errors:
        errors["html"] = html_errors
    duplicate = Layout.objects.filter(identifier=layout.identifier).exclude(pk=layout.pk)
    if duplicate.exists():
        errors["identifier"] = [
            f"{layout.environment.name} already has a layout with the identifier "
            f"“{layout.identifier}”."
        ]
    if errors:
        # A duplicate alone is a conflict (the API's 409); with invalid HTML it is one of two
        # problems to fix, and the request is invalid (400).
        raise Conflict(errors) if list(errors) == ["identifier"] else ValidationError(errors)


LAYOUT_CLASH = (
    "Another layout with this identifier, or another default, was saved at the same moment. "
    "Check the layouts and try again."
)


def _make_only_default(layout: Layout) -> None:
    # Unset the others first: the database allows one default per environment.
    others = Layout.objects.filter(is_default=True).exclude(pk=layout.pk)
    pks = list(others.values_list("pk", flat=True))
    others.update(is_default=False)
    if pks:
        content_hashes_refresh(queryset=Layout.objects.filter(pk__in=pks))


def _saved(entity):
    """Every content write ends here: the row's content hash follows its document."""
    content_hash_refresh(entity=entity)
    return entity


def _lock_layouts_of(environment: Environment) -> None:
    """Make the layout writes of ``environment`` run one after the other, until the transaction
    ends: each reads the default as the one before left it, so concurrent "Make default",
    create-as-default and delete-the-default requests succeed in order instead of clashing on
    ``one_default_layout_per_env``. The lock is the environment's row, since a first layout
    has no other row to lock; ``FOR NO KEY UPDATE``, as promotion takes it (see
    ``changes.services``), so inserts that reference the environment never wait for it."""
    Environment.objects.select_for_update(no_key=True).filter(pk=environment.pk).exists()


def _is_default_now(layout: Layout) -> bool | None:
    """Whether ``layout`` is the default as committed, read under the lock rather than as it was
    loaded (another request may have changed it since); None if it was deleted meanwhile."""
    return Layout.objects.filter(pk=layout.pk).values_list("is_default", flat=True).first()


def _deleted_meanwhile(layout: Layout) -> ValidationError:
    return ValidationError(f"“{layout.name}” was deleted meanwhile.")


@transaction.atomic
def layout_create(
    *, environment: Environment, name: str, identifier: str, html: str, is_default: bool, actor
) -> Layout:
    """Create a layout. The first layout of an environment becomes its default."""
    policy.require(Write.CONTENT, environment=environment, actor=actor)
    _lock_layouts_of(environment)
    layout = Layout(environment=environment, name=name, identifier=identifier, html=html)
    layout.is_default = is_default or not Layout.objects.exists()
    _validate_layout(layout=layout)
    if layout.is_default:
        _make_only_default(layout)
    layout.record_edit_by(actor)
    return _saved(save_or_refuse_clash(layout, field="identifier", message=LAYOUT_CLASH))


@transaction.atomic
def layout_update(
    *, layout: Layout, name: str, identifier: str, html: str, is_default: bool, actor
) -> Layout:
    """Save a layout. Raises ValidationError if it would leave the environment without a
    default, or if the layout was deleted meanwhile (a save would bring it back)."""
    policy.require(Write.CONTENT, environment=layout.environment, actor=actor)
    _lock_layouts_of(layout.environment)
    was_default = _is_default_now(layout)
    if was_default is None:
        raise _deleted_meanwhile(layout)
    if was_default and not is_default:
        raise ValidationError(
            {
                "is_default": [
                    "Make another layout the default instead; one layout is always the default."
                ]
            }
        )
    layout.name, layout.identifier, layout.html = name, identifier, html
    layout.is_default = is_default
    _validate_layout(layout=layout)
    if layout.is_default:
        _make_only_default(layout)
    layout.record_edit_by(actor)
    return _saved(save_or_refuse_clash(layout, field="identifier", message=LAYOUT_CLASH))


@transaction.atomic
def layout_make_default(*, layout: Layout, actor) -> Layout:
    """Make ``layout`` its environment's default. Raises ValidationError if it was deleted
    meanwhile."""
    policy.require(Write.CONTENT, environment=layout.environment, actor=actor)
    _lock_layouts_of(layout.environment)
    if _is_default_now(layout) is None:
        raise _deleted_meanwhile(layout)
    _make_only_default(layout)
    layout.is_default = True
    layout.record_edit_by(actor)
    layout.save(update_fields=["is_default", "updated_by", "updated_at"])
    return _saved(layout)


@transaction.atomic
def layout_delete(*, layout: Layout, actor) -> None:
    """Delete a layout no email step uses. The default goes last: another must take its place.
    A layout already deleted by someone else is no error."""
    policy.require(Write.CONTENT, environment=layout.environment, actor=actor)
    _lock_layouts_of(layout.environment)
    is_default = _is_default_now(layout)
    if is_default is None:
        return
    users = sorted({step.workflow.name for step in layout.steps.select_related("workflow")})
    if users:
        raise Conflict(
            f"“{layout.name}” is used by email steps of: {', '.join(users)}. "
            "Choose another layout for those steps first."
        )
    if is_default and Layout.objects.exclude(pk=layout.pk).exists():
        raise Conflict(
            f"“{layout.name}” is the default layout. Make another layout the default first."
        )
    layout.delete()
    content_stamp(environment_ids=[layout.environment_id])


BRAND_FIELDS = (
    "primary_color",
    "font_color",
    "content_background_color",
    "font_family",
    "direction",
)


@transaction.atomic
def brand_update(
    *,
    environment: Environment,
    actor,
    logo_content: bytes | None = None,
    remove_logo=False,
    **fields,
) -> Brand:
    """Save the environment's brand settings (created on first save).

    ``logo_content`` is validated by its bytes (see ``branding.uploads``) and stored through
    Django's storage API under a fresh name. Raises ValidationError and saves nothing if the
    logo is refused.
    """
    policy.require(Write.CONTENT, environment=environment, actor=actor)
    brand = Brand.objects.select_for_update().first() or Brand(environment=environment)
    for field_name in BRAND_FIELDS:
        if field_name in fields:
            setattr(brand, field_name, fields[field_name])
    if logo_content is not None:
        try:
            extension = logo_extension_of(logo_content)
        except ValidationError as refused:
            raise ValidationError({"logo": refused.messages}) from refused
        brand.logo.save(logo_file_name(extension), ContentFile(logo_content), save=False)
    elif remove_logo:
        brand.logo = ""
    brand.record_edit_by(actor)
    return _saved(
        save_or_refuse_clash(
            brand,
            field=NON_FIELD_ERRORS,
            message="Someone saved the brand at the same moment. Reload the page and try again.",
        )
    )
