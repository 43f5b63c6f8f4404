"""The deployments chatkit-tui reads, each behind :mod:`chatkit_tui.client.deployment`'s
interface, each in a folder of its own: ``chatkit_python/`` (the operator's chatkit-python
server over its own protocol) and ``mirror/`` (a mirror file read in process). The hosted
API is :class:`chatkit_tui.client.AsyncChatKit` itself.

Textual-free; above core (a mirror is core's), below the script CLI and the app.
"""
