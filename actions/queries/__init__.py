"""Reads for the API and the console alike: what a principal may see, from the read models.

Neither adapter queries the store on its own for these; each read applies the same visibility
rule as the actions (404 for what the caller may not see).
"""
