"""The LLM cache: an exact tier and an intent tier over Redis or an in-process LRU; never wrong.

See `keys` for what each tier's key holds, `intent` for what makes two requests the same,
`entries` for what an entry must pass before it is served, `calls` for how a model call uses it.
"""
