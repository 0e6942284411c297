"""SOPs for AI agents: `sopkit mcp`, a Model Context Protocol server.

`runs` is the pure core (procedures followed step by step, hand-offs), `live`
keeps the SOPs of a folder current, `models` makes the start fast, `pages` words
a SOP and the glossary as the handbook does, and `server` is the thin layer that
speaks MCP through the official SDK.
"""
