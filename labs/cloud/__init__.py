"""Cloud prices as dated data and the cost calculators built on them (notebooks 01-architecture, 04-storage-oltp-olap).

- ``prices``: the list prices in ``prices.json`` (each with its unit, date and vendor page),
  ``load()``, ``as_frame()``, and ``CAVEATS``, what list prices leave out of a real bill;
- ``warehouse``: a query's cost under bytes scanned, credits, node-hours and RPU-seconds;
- ``functions``: serverless functions against an always-on node, their break-even (``cost_table``
  for the curve), cold starts;
- ``transfer``: an initial load over a link or on a shipped device (``transfer_table``), and egress;
- ``tiering``: storage tiers with retrieval fees and minimum durations, and lifecycle rules.

Every calculator returns US dollars (or days) as a float and takes ``prices=`` to try other
figures: ``load().with_values({...})``.

    >>> from labs.cloud import functions, prices
    >>> mine = prices.load().with_values({"vm.node_hour": 0.10})
    >>> round(functions.always_on_cost(730, prices=mine), 2)
    73.0
"""
