"""The HTTP face: a FastAPI app factory with one router per resource."""

from faircollect.api.app import create_app

__all__ = ["create_app"]
