"""``python -m cli ...`` runs the ``interestgraph`` command line."""

from cli.app import main

raise SystemExit(main())
