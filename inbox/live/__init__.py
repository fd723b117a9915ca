"""Live updates of the inbox: events published to Redis per client, streamed to browsers as
server-sent events by a small async server of their own (asgi.py), and presence."""
