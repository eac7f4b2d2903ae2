"""FairCollect: collect overdue consumer debt effectively and lawfully.

The public API is small on purpose; the services live in their packages.
"""

from faircollect.errors import FairCollectError, InputError

__version__ = "0.1.0"

__all__ = ["FairCollectError", "InputError", "__version__"]
