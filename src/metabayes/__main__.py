import sys

from metabayes.cli import main

sys.exit(main())
