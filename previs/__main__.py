import sys

from previs.cli import main

sys.exit(main())
