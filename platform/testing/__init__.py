"""Test machinery for Jifen and its plugin authors, installed with the `testing` extra.

`jifen.testing.servers` starts throwaway PostgreSQL and Redis servers;
`jifen.testing.pytest_plugin` (registered under pytest's `pytest11` entry point) gives
tests a migrated database on SQLite and on PostgreSQL. The product never imports this
package.
"""
