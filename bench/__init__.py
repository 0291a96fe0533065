"""Jifen's benchmarks: `python -m bench NAME [--db sqlite|postgresql]`.

Each benchmark is a module `bench.<name>` with `run(db) -> Result`: it measures ours
against a reference in the same run, on the same machine and database, and the runner
prints one closing line `NAME: ratio=... ours=.../s baseline=.../s [extra=...]`
(docs/architecture.md, "Benchmarks"). `bench.http` holds the HTTP protocol (gunicorn plus wrk) and
`bench.reference` the reference WSGI apps.
"""
