"""Every part's tables, imported so that `metadata` knows them all."""

from faircollect.store.tables import (
    api,  # noqa: F401
    audit,  # noqa: F401
    cases,  # noqa: F401
    consent,  # noqa: F401
    content,  # noqa: F401
    cycle,  # noqa: F401
    dispatch,  # noqa: F401
    foundation,  # noqa: F401
    governance,  # noqa: F401
    policy,  # noqa: F401
    risk,  # noqa: F401
    sharing,  # noqa: F401
    subject,  # noqa: F401
    web,  # noqa: F401
)
