"""The engine: records in, columns and a report out.

* :mod:`~mapper.engine.reader` cuts any accepted input into units (NDJSON chunks,
  runs of raw record texts, Python objects, a document that does not parse);
* :mod:`~mapper.engine.fast` maps runs of records at once, column by column;
* :mod:`~mapper.engine.careful` maps single records and locates every error;
* :mod:`~mapper.engine.output` is what both write into (column builders, the report);
* :mod:`~mapper.engine.core` orchestrates one batch, unit by unit (:class:`Engine`);
* :mod:`~mapper.engine.parallel` splits the columns between processes;
* :mod:`~mapper.engine.runner` maps or validates one input, in this process or with workers.

Nothing is imported here: each part is imported from its own module.
"""
