"""Reading listing titles into canonical attributes: schemas, rules, LLM backends, queue, eval."""
