"""Governance and security, run for real: who may see what, and what they see (notebook
09-governance-security).

Modules:

- ``access``: roles as DuckDB schemas of views (row-level security, column masking), an access
  layer that refuses unknown roles and tables outside a role's schema, and a scanner that queries
  every role's views for unmasked personal data and rows of other tenants.
- ``matching``: the one rule both scanners use: a personal value counts wherever it appears
  inside another value, whatever the case.
- ``masking``: masking, keyed pseudonyms (HMAC-SHA256), a token vault, generalisation and
  k-anonymity with its information loss, l-diversity and differentially private counts.
- ``crypto``: AES-GCM envelope encryption with a data key per partition, master-key rotation that
  re-wraps keys without touching data, and its cost.
- ``erasure``: the right to erasure across raw, curated and derived tables (deleting, or keeping
  facts under a NULL key), retention, consent, and crypto-shredding.
- ``lake``: a toy lake table (copy-on-write and merge-on-read) showing why a DELETE leaves the
  bytes on disk until a rewrite and a vacuum.
- ``lineage``: column-level lineage from SQL with sqlglot, drawn as a graph, and a proof that no
  path leads from a personal column to an analyst-facing output.
- ``audit``: an audit log of who read which tables and columns.
"""
