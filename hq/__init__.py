"""The headquarters server (FastAPI + SQLAlchemy Core; SQLite by default, PostgreSQL at scale)."""
