"""Every part's tables, imported so that `metadata` knows them all."""

from faircollect.store.tables import foundation  # noqa: F401
from faircollect.store.tables import dispatch  # noqa: F401
from faircollect.store.tables import cases  # noqa: F401
from faircollect.store.tables import audit  # noqa: F401
from faircollect.store.tables import consent  # noqa: F401
from faircollect.store.tables import content  # noqa: F401
from faircollect.store.tables import cycle  # noqa: F401
from faircollect.store.tables import policy  # noqa: F401
