"""The `mizzle` command line: typer commands at the edge, the work done by `mizzle.core` and
`mizzle.dialects`. `app.main()` runs it (`app.run()` is the console script); one module per
command, each importing what it needs when it runs, so that starting the CLI stays cheap."""
