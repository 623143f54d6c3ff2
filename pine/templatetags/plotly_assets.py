from django import template
from django.urls import reverse

from pine.assets import plotly_js

register = template.Library()


@register.simple_tag
def plotly_js_url() -> str:
    """The address of plotly.js for a page's <script src>: versioned, so browsers may keep it."""
    return reverse("plotly_js", args=[plotly_js()[1]])
