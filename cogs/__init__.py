"""Slash-command cogs: thin layers that parse input, call core services and render replies.

Each module here defines one cog and an async `setup(bot)`; bot/client.py discovers them.
"""
