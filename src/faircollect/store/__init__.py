"""Persistence: SQLAlchemy Core tables, migrations, repositories and the unit of work."""
