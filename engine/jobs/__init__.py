"""Background jobs, as Gen3's sower serves them to the portal: dispatch, status, output, list.

Jobs run in the server process (engine/jobs/runner.py: a bounded thread
pool); their state lives in the graph (engine/jobs/state.py), so a server
that restarts reports the jobs it was running as Failed; their results
(a PFB, engine/jobs/export.py) go to the object store.
"""
