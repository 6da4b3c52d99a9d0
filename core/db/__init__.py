"""Django's PostgreSQL backend with a watchdog for web requests (base.py); ENGINE "core.db" in the settings."""
