"""``placement serve``: a local page where the judgements are sliders and inputs, and the JSON
API behind it.

:func:`placement.serve.app.create_app` builds the application for a
:class:`placement.serve.workspace.Workspace` (one loaded instance); ``placement serve PATH``
runs it on uvicorn. FastAPI and uvicorn are imported only here, never by the library or the
other commands.
"""
