"""The web faces: the staff console (/console), the borrower portal (/portal) and the
contact-person page (/contact), server-rendered with Jinja2 and htmx over the same services
the CLI and the REST API call. `install(app)` mounts them on the API's FastAPI app."""

from faircollect.web.app import install

__all__ = ["install"]
