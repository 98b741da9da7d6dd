"""The analysts' desk: a JSON API under ``/api/`` and server-rendered pages, one ASGI app.

``create_app`` (``app.py``) is given what it serves from — a way to open the search backend,
optionally the event store and the gazetteer — by its caller (``medradar serve``), so this
package depends on nothing in ``pipeline``. Scraped text is data, never markup: templates
are autoescaped, links are shown only for http(s) URLs, and a Content-Security-Policy
forbids inline scripts (``security.py``).
"""

from search.web.app import Desk, create_app
from search.web.security import Access

__all__ = ["Access", "Desk", "create_app"]
