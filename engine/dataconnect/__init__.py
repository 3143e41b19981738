"""GA4GH Data Connect 1.0 over the live graph: tables, their JSON Schema, SQL search, pages.

- tables.py: the table registry; one table `commons.<node>` per node type of
  the dictionary, its `data_model` (draft-07 JSON Schema) derived from the
  dictionary. Other sources (e.g. the metadata service) add their tables to
  the same registry.
- sql.py: the documented SQL subset, parsed by sqlglot (Trino dialect) into a
  `Plan`; anything outside it is refused naming the construct.
- cypher.py: a `Plan` as one Cypher statement, its conditions written by the
  query builder GraphQL and guppy use (engine/query/cypher.py), so readable
  projects are enforced the same way and values only travel as parameters.
- cursor.py: the opaque, signed `next_page_url` cursor.
- search.py: one page of a search, and the cursor of the next.
"""
