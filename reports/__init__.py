"""Pictures of the interest graph for people who would rather look than read.

``interestgraph report USER_ID --out report.html`` (or ``.png``) draws a shopper's interest
trajectory, neighbourhood and explained recommendations; ``--segment CATEGORY`` draws the
same story for a cohort. Every number comes from the analyst library (``cypher/analyst/``)
through :mod:`interestgraph.analyst`; the plots are matplotlib and networkx.
"""
