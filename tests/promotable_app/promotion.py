from changes.registry import register
from tests.promotable_app.models import Snippet

register(Snippet, url_name="promotable_app:snippet")
