"""The console: the web dashboard of the people who run billing, served at ``/console`` (docs/console.md).

Server-rendered Jinja2 pages over the same services the API routes call (no second copy of any rule),
signed in with the users of ``quire users create``, kept out of ``/openapi.json``.
"""

# Every module that adds pages to ``pages.routes`` is loaded with the package, before ``pages.install`` mounts
# them: the catalogue's forms (products, prices, plans, a schedule from a plan) live in their own module.
from quire.console import catalogue_pages, pages  # noqa: E402, F401
