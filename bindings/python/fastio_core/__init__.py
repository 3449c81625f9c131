"""Fast.io client core: the generated bindings plus a standard-library driver."""

from .fastio_core import *  # noqa: F401,F403  (the generated UniFFI module)
from .driver import DEFAULT_BASE_URL, Client, DownloadResult, UploadResult, verify_webhook  # noqa: F401
from .notes import NoteConflict  # noqa: F401
