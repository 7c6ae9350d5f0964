"""The application: the composition root, `spt run` and the demo, the side server and web
dashboard, and the CLI. It uses the engine (`core/`) and knows Discord only through the
entry points the Discord package (`bot/`) registers (app/integrations.py)."""
