import sys

try:  # a Ctrl-C this early is reported like one during the run (corrlearn.cli.main handles the rest)
    from corrlearn.cli import main
except KeyboardInterrupt:
    print("\ncorrlearn: interrupted", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
