"""The ``interestgraph`` command line (an entry point: it parses, calls one domain function, prints).

One module per command group: :mod:`cli.services` (neo4j, schema, status, workers, browser),
:mod:`cli.ingest` (ingest, publish, dataset, ledger), :mod:`cli.nlp`, :mod:`cli.models`
(train, evaluate, refresh), :mod:`cli.serving` (recommend, similar), :mod:`cli.analyst`
(query, report) and :mod:`cli.bench`. :mod:`cli.output` holds the shared ``--json`` handling
and tables; :func:`cli.app.main` is the console script.
"""
