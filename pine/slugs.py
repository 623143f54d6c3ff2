from django.db.models import Model
from django.utils.text import slugify


def unique_slug(model: type[Model], text: str, *, fallback: str) -> str:
    """A slug made from the text that no row of the model has yet: "northshire", "northshire-2"..."""
    base = slugify(text)[:50] or fallback
    slug, n = base, 2
    while model._default_manager.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug
