"""Message content compliance: the template linter, rendering and the template registry.

The linter (`faircollect.content.linter.lint`) is pure and fast; the registry needs a store.
"""

from faircollect.content.finding import Category, Finding

__all__ = ["Category", "Finding"]
