from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from branding.models import Brand, Layout
from branding.uploads import logo_extension_of, logo_file_name
from changes.documents import content_hash_refresh, content_hashes_refresh
from environments import policy
from environments.models import Environment
from environments.policy import Write
from environments.services import save_or_refuse_clash
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
        raise ValidationError(errors)


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


@transaction.atomic
def layout_create(
    *, environment: Environment, name: str, identifier: str, html: str, is_default: bool, actor
) -> Layout:
    """Create a layout. The first layout of an environment becomes its default."""
    policy.require(Write.CONTENT, environment=environment, actor=actor)
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
    policy.require(Write.CONTENT, environment=layout.environment, actor=actor)
    if layout.is_default and not is_default:
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
    policy.require(Write.CONTENT, environment=layout.environment, actor=actor)
    _make_only_default(layout)
    layout.is_default = True
    layout.record_edit_by(actor)
    layout.save(update_fields=["is_default", "updated_by", "updated_at"])
    return _saved(layout)


@transaction.atomic
def layout_delete(*, layout: Layout, actor) -> None:
    """Delete a layout no email step uses. The default goes last: another must take its place."""
    policy.require(Write.CONTENT, environment=layout.environment, actor=actor)
    users = sorted({step.workflow.name for step in layout.steps.select_related("workflow")})
    if users:
        raise ValidationError(
            f"“{layout.name}” is used by email steps of: {', '.join(users)}. "
            "Choose another layout for those steps first."
        )
    if layout.is_default and Layout.objects.exclude(pk=layout.pk).exists():
        raise ValidationError(
            f"“{layout.name}” is the default layout. Make another layout the default first."
        )
    layout.delete()


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
