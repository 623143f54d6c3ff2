"""plotly.js, served from the installed plotly package: the library that draws the charts is always
the version that built their figures, and no copy of it is kept in the project."""

import importlib.metadata
import importlib.util
from functools import cache
from pathlib import Path


@cache
def plotly_js() -> tuple[Path, str]:
    """The installed plotly.min.js and the plotly version, found without importing plotly."""
    package = Path(importlib.util.find_spec("plotly").origin).parent
    return package / "package_data" / "plotly.min.js", importlib.metadata.version("plotly")
