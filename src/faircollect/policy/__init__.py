"""The contact policy decision point: request models, rule packs and `decide`.

The core is pure: no database, clock or network. Faces (CLI, HTTP) live outside. Two service
modules sit beside the core and are not imported here: `records` (recording the decisions the
system acts on, with one audit entry per batch) and `replay` (what-if under another pack).
"""

from faircollect.policy.decide import decide
from faircollect.policy.decision import CATEGORIES, Category, Decision, Violation
from faircollect.policy.pack import Pack, Rule, builtin_packs, load_pack_file, resolve_pack
from faircollect.policy.request import DecisionRequest, parse_request

__all__ = [
    "CATEGORIES",
    "Category",
    "Decision",
    "DecisionRequest",
    "Pack",
    "Rule",
    "Violation",
    "builtin_packs",
    "decide",
    "load_pack_file",
    "parse_request",
    "resolve_pack",
]
