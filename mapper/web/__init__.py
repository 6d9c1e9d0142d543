"""The web UI of ``mapper serve``: the seed page's Data Sources, New Source and Send records, locally.

Served by ``mapper serve`` itself (same process, same database; every asset is package
data, nothing is fetched from elsewhere), over the service's own API. The parts:

* :mod:`mapper.web.catalog`: the databases and tables registered with ``--table``;
* :mod:`mapper.web.draft`: the form checked as ``mapper check`` checks it and turned into
  the ``POST /v1/sinks`` body, a sample record previewed by the engine, pasted records
  turned into the endpoint's request body;
* :mod:`mapper.web.app`: the routes, and ``mapper serve``'s options for them;
* ``static/``: the pages, their one script and their style.

Details and choices: ``docs/send-serve.md`` (section "The web UI").
"""

from .app import add_serve_parser, cmd_serve, install, load_assets
from .catalog import DEFAULT_DATABASE, Catalog, CatalogTable, Database, database_id, load_catalog
from .draft import Paste, check_name, draft, paste_records, preview_record

__all__ = [
    "DEFAULT_DATABASE",
    "Catalog",
    "CatalogTable",
    "Database",
    "Paste",
    "add_serve_parser",
    "check_name",
    "cmd_serve",
    "database_id",
    "draft",
    "install",
    "load_assets",
    "load_catalog",
    "paste_records",
    "preview_record",
]
