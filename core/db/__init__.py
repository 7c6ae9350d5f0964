"""PostgreSQL: the pool, the embedded server, migrations, and one module of SQL per aggregate.

This package is the only place with SQL; every query is parameterised.
"""
