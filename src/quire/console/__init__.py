"""The console: the web dashboard of the people who run billing, served at ``/console`` (docs/console.md).

Server-rendered Jinja2 pages over the same services the API routes call (no second copy of any rule),
signed in with the users of ``quire users create``, kept out of ``/openapi.json``.
"""
