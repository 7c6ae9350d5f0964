"""The long-running loops: ingest scheduler and listing lifecycle; later extraction and delivery."""
