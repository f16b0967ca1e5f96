"""The `mizzle` command line: typer commands at the edge, the work done by `mizzle.core` and
`mizzle.dialects`. `app.main()` is the entry point; one module per command."""
