"""One module per reproduced paper or chapter: its networks, protocol and claims.

Nothing in the library imports a study; experiments (``experiments/*.py``) do.
"""
