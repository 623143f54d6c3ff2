"""Rich text the practice team writes (a call's guidance and eligibility): Markdown made into HTML,
then sanitised, so only headings, paragraphs, lists, emphasis and links reach the page.

Raw HTML in the text is not trusted: Markdown passes it through, and the sanitiser (nh3, the
Ammonia library) removes every tag and attribute not allowed here, and ``<script>``/``<style>``
with their content. Headings start at ``<h2>`` (``# Heading``; ``## Heading`` is an ``<h3>``): the page's ``<h1>``
is its title.
"""

import markdown
import nh3
from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

TAGS = {"h2", "h3", "h4", "h5", "h6", "p", "br", "ul", "ol", "li", "a", "strong", "em", "code", "blockquote"}
ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
GOVUK_CLASSES = {
    "h2": {"class": "govuk-heading-m"},
    "h3": {"class": "govuk-heading-s"},
    "h4": {"class": "govuk-heading-s"},
    "h5": {"class": "govuk-heading-s"},
    "h6": {"class": "govuk-heading-s"},
    "p": {"class": "govuk-body"},
    "ul": {"class": "govuk-list govuk-list--bullet"},
    "ol": {"class": "govuk-list govuk-list--number"},
    "a": {"class": "govuk-link"},
    "blockquote": {"class": "govuk-inset-text"},
}


def render_rich_text(text: str) -> str:
    """Markdown to sanitised HTML (a plain string: the caller marks it safe)."""
    if not text:
        return ""
    html = markdown.markdown(text, extensions=["sane_lists", "toc"], extension_configs={"toc": {"baselevel": 2}})
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        set_tag_attribute_values=GOVUK_CLASSES,
        strip_comments=True,
    )


@register.filter(is_safe=True)
def rich_text(value) -> SafeString:
    """``{{ cohort.guidance|rich_text }}``: Markdown, sanitised."""
    return mark_safe(render_rich_text(str(value or "")))  # noqa: S308 - sanitised by nh3 just above
