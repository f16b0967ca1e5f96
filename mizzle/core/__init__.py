"""Dialect-free core: the schema model, schema loading, naming and validation.

Nothing in here imports a database driver, so the core runs unchanged inside Pyodide.
"""
