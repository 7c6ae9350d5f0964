"""The Discord process: CLI entry point, composition root, bot client, embeds, side server."""
