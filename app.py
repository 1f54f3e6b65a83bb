"""Start the previs studio UI: `python app.py`.

Settings come from the environment (PREVIS_HOME, PREVIS_MODEL, PREVIS_DEVICE, ...); the server binds to
localhost unless GRADIO_SERVER_NAME says otherwise, on GRADIO_SERVER_PORT or 7860. With a users file
(users.toml in PREVIS_HOME, or PREVIS_USERS) login is on; without one the page serves one local user.
"""

from __future__ import annotations

import logging
import os
import sys

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from previs.access.users import UserDirectory
from previs.app.studio import open_studio
from previs.errors import PrevisError
from previs.settings import Settings
from previs.ui import serve, server_address


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
        host, port = server_address()
        users = UserDirectory.configured(settings.home)
        studio = open_studio(settings)
        status = studio.models.load(fall_back_to_tiny=True)
        if status.warning:
            logging.warning(status.warning)
        serve(studio, users=users, host=host, port=port)
    except PrevisError as error:
        sys.exit(f"previs: {error}")


if __name__ == "__main__":
    main()
