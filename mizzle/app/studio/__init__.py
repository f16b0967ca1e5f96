"""`studio`: the use cases behind the local web UI (`mizzle studio`): pages of rows, row edits,
the SQL runner, the ERD, the migrations and the drift of each database; and the ASGI app that
serves them with its static page (`server.py`)."""
