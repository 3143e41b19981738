"""PFB (Gen3's Portable Format for Biomedical data): a project or a cohort as one Avro file, and back.

`schema` turns the dictionary into the Avro schema and Metadata record pypfb
writes; `write` streams entities out of the graph into it; `read` turns a
PFB body into the documents the submission engine checks and writes.
"""
