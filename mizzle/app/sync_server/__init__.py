"""The sync server's use cases: who is asking (`auth`), which rows they may see and write
(`visibility`), one push-and-pull exchange (`exchange`), the server's own tables (`store`),
the ASGI app (`asgi`) and running it (`serving`). The protocol's shapes are
`mizzle.core.sync.protocol`; docs/sync.md tells the whole story."""
