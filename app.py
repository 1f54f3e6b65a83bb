"""Start the previs studio UI: `python app.py`.

Settings come from the environment (PREVIS_HOME, PREVIS_MODEL, PREVIS_DEVICE, ...); the server binds to
localhost unless GRADIO_SERVER_NAME says otherwise, on GRADIO_SERVER_PORT or 7860.
"""

from __future__ import annotations

import logging
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from previs.settings import Settings
from previs.studio import open_studio
from previs.ui import build_ui


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    studio = open_studio(Settings.from_env())
    status = studio.load_model(fall_back_to_tiny=True)
    if status.warning:
        logging.warning(status.warning)
    page = build_ui(studio)
    page.queue(default_concurrency_limit=1)
    page.launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                allowed_paths=[str(studio.files.directory)])


if __name__ == "__main__":
    main()
