import sys

from corrlearn.cli import main

sys.exit(main())
